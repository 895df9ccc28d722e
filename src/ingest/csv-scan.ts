/**
 * A streaming RFC 4180 scanner over UTF-8 bytes (pure, no I/O): the hot loop of an import.
 *
 * It gives exactly the records csv-parse 5 gives with the options Plaza used before
 * (`relax_quotes`, `relax_column_count`, `skip_empty_lines`, record delimiters CRLF, LF and CR,
 * `max_record_size`), property-tested against it over random inputs and random chunkings
 * (test/unit/csv-scan.test.ts):
 *
 * * a field that starts with `"` is quoted: delimiters, CR and LF inside are data and `""` is one
 *   quote; the quote closes before a delimiter, CR, LF, NUL or the end of the input;
 * * a closing quote followed by anything else is kept as text, and so is the opening quote (the
 *   field reads `"…"rest`, the way csv-parse's relax_quotes reads it); a quote inside an unquoted
 *   field is an ordinary character;
 * * CR, LF and CRLF end records; a line with nothing on it is skipped (`""` is not nothing);
 * * the row limit counts the bytes of the field being read plus the characters of the fields
 *   before it in the record, and is broken when a byte is added while the count is above it.
 *
 * Bytes are scanned in place; a field is decoded once, when it ends: ASCII fields are substrings
 * of the chunk decoded as Latin-1 (one native call per chunk, not per field), other fields are
 * decoded as UTF-8 (damaged bytes become U+FFFD, which the row rules then refuse). Only a field
 * that spans chunks or holds `""` is copied, into one reusable buffer.
 */

/** Why scanning stopped: the two errors csv-parse raised for Plaza's options, with its counts. */
export class CsvScanError extends Error {
  constructor(
    readonly code: 'CSV_MAX_RECORD_SIZE' | 'CSV_QUOTE_NOT_CLOSED',
    /** Records completed before the failing one (the header counts; skipped blank lines do not). */
    readonly records: number,
    /** Index of the failing field within its record (0-based). */
    readonly column: number,
  ) {
    super(code);
  }
}

export interface CsvScanOptions {
  /** A one-byte delimiter (`,`, `;`, tab or `|`). */
  delimiter: string;
  /** csv-parse's `max_record_size`; 0 for no limit. */
  maxRecordBytes: number;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

// Where the scanner stands between two bytes.
const START = 0; // before the first byte of a field
const UNQUOTED = 1; // inside an unquoted field (or the text after a relaxed closing quote)
const QUOTED = 2; // inside a quoted field
const QUOTE_SEEN = 3; // inside a quoted field, just after a quote: the next byte decides what it was

const accInitial = 1024;
/** Above this size the copy buffer is dropped after use instead of being kept for the next field. */
const accKeep = 1 << 20;

/** Scans chunks of UTF-8 bytes into records (arrays of field strings). */
export class CsvScanner {
  private readonly delim: number;
  private readonly maxRecord: number;
  private state = START;
  private wasQuoting = false;
  /** Fields of the record being read. */
  private record: string[] = [];
  /** csv-parse's record_length: characters of the record's completed fields. */
  private recordChars = 0;
  /** Records completed so far. */
  private records = 0;
  /** Bytes of the current field copied out of earlier chunks (or unescaped). */
  private acc = Buffer.allocUnsafe(accInitial);
  private accLen = 0;
  /** The chunk being scanned, and its Latin-1 decoding once an ASCII field needed it. */
  private chunk: Buffer | undefined;
  private latin1: string | undefined;
  /** Set when scanning stopped; records completed before it are still delivered. */
  failure: CsvScanError | undefined;

  constructor(options: CsvScanOptions) {
    if (Buffer.byteLength(options.delimiter) !== 1) throw new Error('the delimiter must be one byte');
    this.delim = options.delimiter.charCodeAt(0);
    this.maxRecord = options.maxRecordBytes > 0 ? options.maxRecordBytes : Number.MAX_SAFE_INTEGER;
  }

  /** Scans one chunk, appending the records it completes to `out`. Stops (sets `failure`) on an error. */
  push(buf: Buffer, out: string[][]): void {
    if (this.failure) return;
    const n = buf.length;
    const d = this.delim;
    let state = this.state;
    let i = 0;
    /** Start, in this chunk, of the current field's bytes not yet copied to acc. */
    let seg = 0;
    /** OR of the unquoted bytes of the current segment (≥ 0x80: not ASCII). */
    let high = 0;
    this.chunk = buf;
    this.latin1 = undefined;

    while (i < n) {
      if (state === START) {
        const b = buf[i];
        if (b === QUOTE) {
          state = QUOTED;
          seg = ++i;
          continue;
        }
        if ((b === CR || b === LF) && this.record.length === 0) {
          i++; // a blank line
          continue;
        }
        state = UNQUOTED;
        seg = i;
        high = 0;
      }
      if (state === UNQUOTED) {
        let j = i;
        for (; j < n; j++) {
          const c = buf[j];
          if (c === d || c === LF || c === CR) break;
          high |= c;
        }
        i = j;
        if (j === n) break;
        if (!this.endField(seg, j, high < 0x80)) break;
        if (buf[j] !== d) this.endRecord(out);
        state = START;
        i++;
        continue;
      }
      if (state === QUOTED) {
        const q = buf.indexOf(QUOTE, i);
        if (q === -1) {
          i = n;
          break;
        }
        i = q + 1;
        state = QUOTE_SEEN;
        if (i === n) break;
      }
      // QUOTE_SEEN: buf[i] follows a quote inside a quoted field (in this chunk, or at the end of the last one).
      const c = buf[i];
      const contentEnd = i > seg ? i - 1 : seg;
      if (c === QUOTE) {
        // "" is one quote.
        this.copy(buf, seg, contentEnd);
        this.pushAcc(QUOTE);
        seg = ++i;
        state = QUOTED;
        continue;
      }
      this.wasQuoting = true;
      if (c === d || c === CR || c === LF) {
        if (!this.endField(seg, contentEnd, false)) break;
        if (c !== d) this.endRecord(out);
        state = START;
        i++;
        continue;
      }
      this.copy(buf, seg, contentEnd);
      if (c !== 0) {
        // relax_quotes: the quotes stay, as text, and the field goes on unquoted.
        this.acc.copyWithin(1, 0, this.accLen);
        this.acc[0] = QUOTE;
        this.accLen++;
        this.pushAcc(QUOTE);
      }
      // (A NUL after the quote closes it as a delimiter would, but is itself part of the field.)
      state = UNQUOTED;
      seg = i;
      high = 0;
    }

    this.state = state;
    this.chunk = undefined;
    this.latin1 = undefined;
    if (this.failure) return;
    // Keep what this chunk holds of an unfinished field.
    if (state === UNQUOTED || state === QUOTED) this.copy(buf, seg, n);
    else if (state === QUOTE_SEEN) this.copy(buf, seg, Math.max(seg, n - 1));
    if (state !== START && this.accLen > this.maxRecord - this.recordChars + 1) this.fail('CSV_MAX_RECORD_SIZE');
  }

  /** Ends the current field, whose uncopied bytes are [seg, end) of the chunk; false when the row limit broke. */
  private endField(seg: number, end: number, ascii: boolean): boolean {
    const buf = this.chunk!;
    let text: string;
    if (this.accLen === 0) {
      if (end - seg > this.maxRecord - this.recordChars + 1) return this.fail('CSV_MAX_RECORD_SIZE');
      if (ascii) {
        this.latin1 ??= buf.toString('latin1');
        text = this.latin1.slice(seg, end);
      } else text = buf.toString('utf8', seg, end);
    } else {
      this.copy(buf, seg, end);
      if (this.accLen > this.maxRecord - this.recordChars + 1) return this.fail('CSV_MAX_RECORD_SIZE');
      text = this.acc.toString('utf8', 0, this.accLen);
      this.clearAcc();
    }
    this.record.push(text);
    this.recordChars += text.length;
    this.wasQuoting = false;
    return true;
  }

  private endRecord(out: string[][]): void {
    out.push(this.record);
    this.record = [];
    this.records++;
    this.recordChars = 0;
  }

  /** Ends the input: completes the last record, or fails on an open quote. */
  end(out: string[][]): void {
    if (this.failure) return;
    const state = this.state;
    if (state === QUOTED) {
      this.fail('CSV_QUOTE_NOT_CLOSED');
      return;
    }
    if (state === QUOTE_SEEN) this.wasQuoting = true;
    if (this.wasQuoting || this.record.length > 0 || state !== START) {
      const text = this.acc.toString('utf8', 0, this.accLen);
      this.clearAcc();
      this.record.push(text);
      out.push(this.record);
      this.records++;
    }
    this.record = [];
    this.recordChars = 0;
    this.wasQuoting = false;
    this.state = START;
  }

  private fail(code: CsvScanError['code']): false {
    this.failure = new CsvScanError(code, this.records, this.record.length);
    return false;
  }

  private copy(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len <= 0) return;
    this.reserve(len);
    buf.copy(this.acc, this.accLen, start, end);
    this.accLen += len;
  }

  private pushAcc(byte: number): void {
    this.reserve(1);
    this.acc[this.accLen++] = byte;
  }

  private reserve(extra: number): void {
    const need = this.accLen + extra;
    if (need <= this.acc.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.acc.length * 2));
    this.acc.copy(next, 0, 0, this.accLen);
    this.acc = next;
  }

  private clearAcc(): void {
    this.accLen = 0;
    if (this.acc.length > accKeep) this.acc = Buffer.allocUnsafe(accInitial);
  }
}
