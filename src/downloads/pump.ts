import type { Response } from 'express';
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * Writes chunks to a response with backpressure: when a write returns false it waits for 'drain'
 * (or the client leaving) before pulling the next chunk, so the source is read only as fast as
 * the client takes it. When the client goes away the loop stops pulling, which returns the
 * source generator and ends its database reads. Optionally gzips on the way.
 */

/** Result of pumping a body. */
export interface PumpResult {
  bytes: number;
  aborted: boolean;
}

function waitForDrain(sink: Writable, res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('error', done);
      res.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('error', done);
    res.on('close', done);
  });
}

/** Streams the chunks into the response (gzip-encoded when asked) and ends it. */
export async function pumpToResponse(chunks: AsyncIterable<Buffer>, res: Response, options: { gzip: boolean }): Promise<PumpResult> {
  let closed = res.destroyed;
  const onClose = () => {
    closed = true;
  };
  res.on('close', onClose);
  let sink: Writable = res;
  let gzip: zlib.Gzip | undefined;
  if (options.gzip) {
    gzip = zlib.createGzip({ level: 6 });
    gzip.pipe(res);
    sink = gzip;
  }
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      if (closed) break;
      bytes += chunk.length;
      if (!sink.write(chunk)) {
        await waitForDrain(sink, res);
        if (closed) break;
      }
    }
    if (!closed) {
      const finished = new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
      });
      sink.end();
      await finished;
    }
  } catch (err) {
    gzip?.destroy();
    throw err;
  } finally {
    res.off('close', onClose);
    if (closed && gzip) gzip.destroy();
  }
  return { bytes, aborted: closed && !res.writableFinished };
}
