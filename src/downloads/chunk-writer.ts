/**
 * Writes serialised output straight into large UTF-8 chunks for the socket. The serialisers encode
 * each cell into a fixed-size Buffer (off the JS heap) as they go: no per-row line strings, no
 * batch-long rope of small strings that survives young-generation collections (with the server's
 * small semi-spaces, that copying and promotion cost more than the serialising itself), no
 * per-row Buffer.byteLength. Full chunks wait in `ready` until the caller takes them; each is
 * handed over whole and never reused.
 *
 * Text is encoded exactly as `Buffer.from(text, 'utf8')` would (a lone surrogate becomes U+FFFD),
 * so the canonical CSV written here hashes to the release checksum.
 */

/** Default chunk size: large writes, few syscalls, still small next to the socket's buffers. */
export const defaultChunkBytes = 128 * 1024;

export class ChunkWriter {
  private buf: Buffer;
  private pos = 0;
  private ready: Buffer[] = [];
  private readonly digits = new Uint8Array(24);

  constructor(private readonly size = defaultChunkBytes) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  /**
   * Makes room for `bytes` more bytes; false when that can never fit in one chunk (the caller then
   * writes the value with `text`, which gives it a chunk of its own).
   */
  private room(bytes: number): boolean {
    if (this.pos + bytes <= this.size) return true;
    this.flush();
    return bytes <= this.size;
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    const n = s.length;
    if (n === 0) return;
    if (!this.room(n * 3)) {
      this.ready.push(Buffer.from(s, 'utf8'));
      return;
    }
    this.pos = encode(s, this.buf, this.pos, false);
  }

  /** Text between double quotes with every `"` doubled (a quoted CSV field), after an optional prefix byte. */
  quoted(s: string, prefix: number): void {
    if (!this.room(s.length * 3 + 3)) {
      this.text('"' + (prefix ? String.fromCharCode(prefix) : '') + s.replace(/"/g, '""') + '"');
      return;
    }
    const b = this.buf;
    let p = this.pos;
    b[p++] = 34;
    if (prefix) b[p++] = prefix;
    p = encode(s, b, p, true);
    b[p++] = 34;
    this.pos = p;
  }

  /** One byte (ASCII). */
  byte(c: number): void {
    if (this.pos >= this.size) this.flush();
    this.buf[this.pos++] = c;
  }

  /** Pre-encoded bytes (JSON keys, literals). */
  bytes(src: Uint8Array): void {
    if (!this.room(src.length)) {
      this.ready.push(Buffer.from(src));
      return;
    }
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** An integer with |v| < 2^31 as decimal digits (what String(v) gives; -0 is "0"). */
  int(v: number): void {
    this.room(12);
    const b = this.buf;
    let p = this.pos;
    let x = v;
    if (x < 0) {
      b[p++] = 45;
      x = -x;
    }
    const d = this.digits;
    let k = 0;
    do {
      const q = Math.floor(x / 10);
      d[k++] = 48 + (x - q * 10);
      x = q;
    } while (x > 0);
    while (k > 0) b[p++] = d[--k];
    this.pos = p;
  }

  /** Closes the current chunk (if it holds anything) and starts a new one. */
  flush(): void {
    if (this.pos === 0) return;
    this.ready.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafeSlow(this.size);
    this.pos = 0;
  }

  /** True when at least one full chunk is waiting. */
  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** The full chunks so far, in order (and forgets them). */
  take(): Buffer[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Everything written so far as one Buffer (tests and small bodies). */
  toBuffer(): Buffer {
    this.flush();
    return Buffer.concat(this.take());
  }
}

/** UTF-8-encodes s into b at p (room for 3 bytes per UTF-16 unit is the caller's); doubles `"` if asked. */
function encode(s: string, b: Buffer, p: number, doubleQuotes: boolean): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
      if (c === 34 && doubleQuotes) b[p++] = 34;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6);
      b[p++] = 0x80 | (c & 63);
    } else if (c < 0xd800 || c > 0xdfff) {
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 63);
      b[p++] = 0x80 | (c & 63);
    } else {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b[p++] = 0xf0 | (cp >> 18);
        b[p++] = 0x80 | ((cp >> 12) & 63);
        b[p++] = 0x80 | ((cp >> 6) & 63);
        b[p++] = 0x80 | (cp & 63);
        i++;
      } else {
        // A lone surrogate: U+FFFD, as Buffer.from writes it.
        b[p++] = 0xef;
        b[p++] = 0xbf;
        b[p++] = 0xbd;
      }
    }
  }
  return p;
}
