import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import type { ImportConfig } from '../config';
import { AppError, PayloadTooLargeError } from '../errors';
import { delimiterNames, sniffDelimiter, type Delimiter } from './delimiter-sniff';
import { CsvScanError, CsvScanner } from './csv-scan';
import { ImportInputError } from './import.errors';

/**
 * The byte → record half of an import: size limits, gzip (with decompressed-size and ratio
 * limits), encoding detection (BOM, then strict UTF-8, then chardet for legacy 8-bit encodings,
 * converted with iconv-lite), delimiter sniffing and the byte scanner (csv-scan.ts). Everything
 * streams; at most the 64 KiB sniffing sample, one chunk's records and one CSV row are held.
 */

/** What was found out about the file before its rows were read. */
export interface CsvFormat {
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252' | 'iso-8859-1' | 'iso-8859-15';
  bom: boolean;
  compressed: boolean;
  delimiter: Delimiter;
}

/** An opened CSV: its format, header fields and an iterator over the data records. */
export interface OpenedCsv {
  format: CsvFormat;
  header: string[];
  /** Data records in batches, in file order (the header, row 1, is not among them). */
  batches: AsyncGenerator<string[][]>;
  /** Bytes read from the input so far (as sent, before decompression). */
  bytesRead(): number;
}

const sampleBytes = 64 * 1024;
const recordsPerBatch = 1000;
/** A row may be at most this many field limits long (it holds several fields). */
export const rowLimitFactor = 4;
/** Decompressed bytes before the compression-ratio guard starts checking. */
const ratioGrace = 256 * 1024;
/** Compressed bytes fed to the inflater at a time, so the ratio is measured finely. */
const inflateStep = 1024;

const legacyEncodings: Record<string, CsvFormat['encoding']> = {
  'windows-1252': 'windows-1252',
  'iso-8859-1': 'windows-1252', // Windows-1252 is a superset of Latin-1's printable range (€ at 0x80).
  'iso-8859-15': 'iso-8859-15',
};

async function* countBytes(src: AsyncIterable<Buffer>, limit: number, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of src) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buf.length;
    onBytes(total);
    if (total > limit) throw new PayloadTooLargeError(`The file is larger than the limit of ${limit} bytes (IMPORT_MAX_BYTES)`, { limit: 'IMPORT_MAX_BYTES', value: limit });
    yield buf;
  }
}

async function* gunzip(src: AsyncIterable<Buffer>, limits: ImportConfig): AsyncGenerator<Buffer> {
  const inflater = zlib.createGunzip();
  async function* small(): AsyncGenerator<Buffer> {
    for await (const chunk of src) for (let i = 0; i < chunk.length; i += inflateStep) yield chunk.subarray(i, i + inflateStep);
  }
  const input = Readable.from(small());
  input.on('error', (e) => inflater.destroy(e));
  input.pipe(inflater);
  let total = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limits.maxDecompressedBytes) {
        throw new PayloadTooLargeError(`The file decompresses to more than the limit of ${limits.maxDecompressedBytes} bytes (IMPORT_MAX_DECOMPRESSED_BYTES)`, {
          limit: 'IMPORT_MAX_DECOMPRESSED_BYTES',
          value: limits.maxDecompressedBytes,
        });
      }
      // bytesWritten: compressed bytes the inflater has consumed so far (not merely read ahead).
      if (total > ratioGrace && total / Math.max(1, inflater.bytesWritten) > limits.maxCompressionRatio) {
        throw new PayloadTooLargeError(
          `The file decompresses to more than ${limits.maxCompressionRatio} times its compressed size, which looks like a decompression bomb (IMPORT_MAX_COMPRESSION_RATIO)`,
          { limit: 'IMPORT_MAX_COMPRESSION_RATIO', value: limits.maxCompressionRatio },
        );
      }
      yield chunk;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new ImportInputError('The file looks gzip-compressed but is not valid gzip data', { rule: 'gzip' });
  } finally {
    input.destroy();
    inflater.destroy();
  }
}

/** Reads up to `size` bytes ahead, returning them and a stream of everything (peeked bytes first). */
async function peek(src: AsyncIterable<Buffer>, size: number): Promise<{ head: Buffer; ended: boolean; rest: AsyncGenerator<Buffer> }> {
  const it = src[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < size) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    parts.push(r.value);
    length += r.value.length;
  }
  const head = Buffer.concat(parts);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, ended, rest: rest() };
}

/** True when the bytes are valid UTF-8, ignoring a sequence cut at the end of a partial sample. */
function validUtf8(head: Buffer, complete: boolean): { valid: boolean; multibyte: boolean } {
  let end = head.length;
  if (!complete) {
    // Back off over a possibly cut multi-byte sequence.
    let i = end - 1;
    while (i >= 0 && end - i <= 4 && (head[i] & 0xc0) === 0x80) i--;
    if (i >= 0 && head[i] >= 0xc0) end = i;
  }
  const slice = head.subarray(0, end);
  const multibyte = slice.some((b) => b >= 0x80);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(slice);
    return { valid: true, multibyte };
  } catch {
    return { valid: false, multibyte };
  }
}

/** Decides the text encoding of a sample: BOM, else strict UTF-8, else a legacy 8-bit encoding. */
export function detectEncoding(head: Buffer, complete: boolean): { encoding: CsvFormat['encoding']; bomLength: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  const utf8 = validUtf8(head, complete);
  if (utf8.valid) return { encoding: 'utf-8', bomLength: 0 };
  // Valid multi-byte sequences next to invalid bytes: UTF-8 with damage, reported per cell later.
  const hasUtf8Sequences = /[\u0080-\uffff]/.test(head.toString('utf8').replace(/\ufffd/g, ''));
  if (hasUtf8Sequences) return { encoding: 'utf-8', bomLength: 0 };
  const guess = (chardet.detect(head) ?? '').toLowerCase();
  return { encoding: legacyEncodings[guess] ?? 'windows-1252', bomLength: 0 };
}

function csvErrorToImportError(err: CsvScanError, limits: ImportConfig): Error {
  const row = err.records + 1;
  const column = err.column + 1;
  const where = `Row ${row}, column ${column}`;
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return new PayloadTooLargeError(
      `${where}: the row is longer than the limit of ${limits.maxFieldBytes * rowLimitFactor} bytes (${rowLimitFactor} × IMPORT_MAX_FIELD_BYTES); a field this long is usually a quote that is never closed`,
      { row, column, limit: 'IMPORT_MAX_FIELD_BYTES', value: limits.maxFieldBytes },
    );
  }
  return new ImportInputError(`${where}: a quoted field is not closed before the end of the file`, { row, column, rule: 'unclosed_quote' });
}

/** Converts text in a legacy or UTF-16 encoding to UTF-8 bytes, chunk by chunk. */
async function* toUtf8(src: AsyncIterable<Buffer>, encoding: CsvFormat['encoding']): AsyncGenerator<Buffer> {
  const decoder = iconv.getDecoder(encoding);
  for await (const chunk of src) {
    const text = decoder.write(chunk);
    if (text) yield Buffer.from(text, 'utf8');
  }
  const tail = decoder.end();
  if (tail) yield Buffer.from(tail, 'utf8');
}

/**
 * Opens a CSV byte stream: applies the limits, detects compression, encoding and delimiter, and
 * reads the header. Throws ImportInputError / PayloadTooLargeError (4xx) on bad input.
 */
export async function openCsv(input: AsyncIterable<Buffer>, limits: ImportConfig, onBytes: (n: number) => void = () => {}): Promise<OpenedCsv> {
  let bytes = 0;
  const counted = countBytes(input, limits.maxBytes, (n) => {
    bytes = n;
    onBytes(n);
  });
  const first = await peek(counted, 2);
  const compressed = first.head[0] === 0x1f && first.head[1] === 0x8b;
  const decoded = compressed ? gunzip(first.rest, limits) : first.rest;
  const { head, ended, rest } = await peek(decoded, sampleBytes);
  if (head.length === 0) throw new ImportInputError('The file is empty', { rule: 'empty_file' });
  const { encoding, bomLength } = detectEncoding(head, ended);
  if (head.length === bomLength) throw new ImportInputError('The file is empty: it holds only a byte order mark', { rule: 'empty_file' });
  const sampleText = iconv.decode(head.subarray(bomLength), encoding);
  if (sampleText.trim() === '') throw new ImportInputError('The file is empty: it holds only blank lines', { rule: 'empty_file' });
  const delimiter = sniffDelimiter(sampleText, { complete: ended });

  async function* withoutBom(): AsyncGenerator<Buffer> {
    let skip = bomLength;
    for await (const chunk of rest) {
      if (skip > 0) {
        const s = Math.min(skip, chunk.length);
        skip -= s;
        if (s < chunk.length) yield chunk.subarray(s);
      } else yield chunk;
    }
  }
  const text = encoding === 'utf-8' ? withoutBom() : toUtf8(withoutBom(), encoding);
  const scanner = new CsvScanner({ delimiter, maxRecordBytes: limits.maxFieldBytes * rowLimitFactor });
  /** Records in file order, a chunk's worth (at least recordsPerBatch unless the file ends) at a time. */
  async function* batches(): AsyncGenerator<string[][]> {
    try {
      let out: string[][] = [];
      for await (const chunk of text) {
        scanner.push(chunk, out);
        if (scanner.failure) break;
        if (out.length >= recordsPerBatch) {
          yield out;
          out = [];
        }
      }
      scanner.end(out);
      // Records before a failure come first, so errors are reported in file order.
      if (out.length) yield out;
      if (scanner.failure) throw csvErrorToImportError(scanner.failure, limits);
    } finally {
      await text.return(undefined);
    }
  }
  const source = batches();
  const firstBatch = await source.next();
  const header = firstBatch.done ? undefined : firstBatch.value.shift();
  if (!header) throw new ImportInputError('The file is empty: it has no header row', { rule: 'empty_file' });
  async function* dataBatches(): AsyncGenerator<string[][]> {
    if (!firstBatch.done && firstBatch.value.length) yield firstBatch.value;
    yield* source;
  }
  return {
    format: { encoding, bom: bomLength > 0, compressed, delimiter },
    header,
    batches: dataBatches(),
    bytesRead: () => bytes,
  };
}

/** A short description of a format for result pages and the CLI. */
export function describeFormat(f: CsvFormat): string {
  return `${f.encoding.toUpperCase()}${f.bom ? ' with BOM' : ''}, ${delimiterNames[f.delimiter]}-separated${f.compressed ? ', gzip-compressed' : ''}`;
}
