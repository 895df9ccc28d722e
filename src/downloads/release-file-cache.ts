import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import { defaultChunkBytes } from './chunk-writer';

/**
 * Canonical CSVs of published releases kept as files, so the most common download — a whole
 * release as CSV — is a file read rather than a database read and a serialisation (about 20 ms of
 * CPU for 10,000 rows, which under 50 concurrent downloads is what made clients wait).
 *
 * The database stays the source of truth; a file is only a copy that proved itself: it is written
 * in the background from the same streamed serialisation a download uses, and kept (renamed into
 * place) only when its SHA-256 and length equal the release's checksum and byte size. A file is
 * used only after the download was planned, so a withdrawn release still answers 410, and a file
 * whose size is wrong is ignored. Files are named by release id and checksum, so a different
 * database (or a rebuilt one) never picks up another release's bytes. Each app instance keeps its
 * own directory (DOWNLOAD_CACHE_DIR, default data/download-cache; `off` disables it).
 */

/** What the cache needs to know of a release. */
export interface CachedRelease {
  id: number;
  checksum: string;
  byteSize: number;
}


export class ReleaseFileCache {
  private readonly filling = new Map<string, Promise<boolean>>();

  constructor(
    readonly dir: string,
    private readonly logger?: Logger,
  ) {}

  private fileFor(r: CachedRelease): string {
    return path.join(this.dir, `release-${r.id}-${r.checksum}.csv`);
  }

  /** The release's complete file, if there is one. */
  async lookup(r: CachedRelease): Promise<string | undefined> {
    const file = this.fileFor(r);
    try {
      const stat = await fs.promises.stat(file);
      return stat.isFile() && stat.size === r.byteSize ? file : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Writes the release's file from its canonical CSV body, once at a time per release; resolves
   * to whether a verified file is now in place. Failures are logged, never thrown: the download
   * that triggered it is served from the database either way.
   */
  fill(r: CachedRelease, body: () => AsyncIterable<Buffer>): Promise<boolean> {
    const file = this.fileFor(r);
    const running = this.filling.get(file);
    if (running) return running;
    const p = this.write(file, r, body())
      .then(() => true)
      .catch((err: unknown) => {
        this.logger?.warn({ err, releaseId: r.id }, 'release file not cached');
        return false;
      })
      .finally(() => this.filling.delete(file));
    this.filling.set(file, p);
    return p;
  }

  private async write(file: string, r: CachedRelease, body: AsyncIterable<Buffer>): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    const out = await fs.promises.open(tmp, 'w');
    const hash = crypto.createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of body) {
        hash.update(chunk);
        size += chunk.length;
        await out.write(chunk);
      }
      await out.sync();
      await out.close();
      const digest = hash.digest('hex');
      if (digest !== r.checksum || size !== r.byteSize) {
        throw new Error(`release ${r.id}: the CSV written (${size} bytes, sha256 ${digest}) does not match the release (${r.byteSize} bytes, sha256 ${r.checksum})`);
      }
      await fs.promises.rename(tmp, file);
    } catch (err) {
      await out.close().catch(() => undefined);
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
  }

  /** A cached file's bytes in chunks (optionally after a UTF-8 BOM); stop iterating and the read stops. */
  static async *read(file: string, bom: boolean): AsyncGenerator<Buffer> {
    if (bom) yield Buffer.from([0xef, 0xbb, 0xbf]);
    for await (const chunk of fs.createReadStream(file, { highWaterMark: defaultChunkBytes })) yield chunk as Buffer;
  }
}
