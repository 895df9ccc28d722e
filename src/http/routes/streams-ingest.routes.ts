import zlib from 'node:zlib';
import { Router, type Request } from 'express';
import type { StreamsConfig } from '../../config';
import { AppError, PayloadTooLargeError, ValidationError } from '../../errors';
import type { StreamIngest } from '../../streams/ingest.service';

/**
 * `POST /api/v1/streams/:stream/readings`: a device sends a signed batch. The size is checked
 * before anything is read (Content-Length) and while reading; the signature covers the body as
 * sent (gzip included); the answer (200) comes only after the batch is committed. Mounted before
 * the account middleware: devices authenticate with their own credential and signature, and are
 * not subject to the per-IP limits for people.
 */

const slugPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Reads a request body as bytes, refusing it as soon as it passes `limit`. */
function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new PayloadTooLargeError(`The body is ${declared} bytes; at most ${limit} are accepted (STREAM_MAX_BODY_BYTES)`, { limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        req.resume();
        reject(new PayloadTooLargeError(`The body is larger than ${limit} bytes (STREAM_MAX_BODY_BYTES)`, { limit }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => !failed && resolve(Buffer.concat(chunks, size)));
    req.on('error', (e) => !failed && reject(e));
  });
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

/** The ingest route. */
export function streamsIngestRouter(deps: { ingest: StreamIngest; config: StreamsConfig }): Router {
  const { ingest, config } = deps;
  const router = Router();
  router.post('/api/v1/streams/:stream/readings', async (req, res) => {
    const slug = String(req.params.stream);
    if (!slugPattern.test(slug)) throw new ValidationError('The stream in the address is not a valid slug', { in: 'path', parameter: 'stream' });
    const auth = header(req, 'authorization');
    const credential = auth ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
    const device = await ingest.authenticateCredential(credential, slug);
    const type = header(req, 'content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) throw new AppError(415, 'unsupported_media_type', 'Send the batch as Content-Type: application/json');
    const encoding = (header(req, 'content-encoding') ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') throw new AppError(415, 'unsupported_media_type', 'Content-Encoding must be gzip or absent');
    const timestamp = Number(header(req, 'x-plaza-timestamp'));
    const seqText = header(req, 'x-plaza-sequence') ?? '';
    const seq = Number(seqText);
    if (!/^\d{1,16}$/.test(seqText) || !Number.isSafeInteger(seq)) {
      throw new ValidationError('X-Plaza-Sequence must be a whole number up to 2^53 − 1, unique per device', { in: 'header', parameter: 'X-Plaza-Sequence' });
    }
    const raw = await readBody(req, config.maxBodyBytes);
    ingest.verify(device, timestamp, seq, raw, header(req, 'x-plaza-signature'));
    let text: Buffer = raw;
    if (encoding === 'gzip') {
      try {
        text = zlib.gunzipSync(raw, { maxOutputLength: config.maxDecompressedBytes });
      } catch (e) {
        if (e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new PayloadTooLargeError(`The body decompresses to more than ${config.maxDecompressedBytes} bytes (STREAM_MAX_DECOMPRESSED_BYTES)`);
        }
        throw new ValidationError('The body is not valid gzip');
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(text.toString('utf8'));
    } catch {
      throw new ValidationError('The body is not valid JSON');
    }
    const result = await ingest.submit(device, seq, raw, json);
    res.status(200).json(result);
  });
  return router;
}
