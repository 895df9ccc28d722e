import crypto from 'node:crypto';

/**
 * Device credentials and request signatures. A device's key is derived from the deployment
 * secret and a random per-device salt (HMAC-SHA-256), so the database holds only the salt and the
 * key's SHA-256 hash; the key is shown once, inside the credential `plzd_<device>.<key>`. A batch
 * is signed with HMAC-SHA-256(key, "<timestamp>.<sequence>." + body bytes), the same over HTTP and
 * MQTT; the timestamp must be within the window of the server's clock.
 */

/** Prefix of device credentials (distinct from API tokens' `plz_`). */
export const deviceCredentialPrefix = 'plzd_';

/** Derives a device's signing key from the deployment secret and its salt. */
export function deriveDeviceKey(secret: string, salt: string): Buffer {
  return crypto.createHmac('sha256', secret).update(`plaza device key\0${salt}`).digest();
}

/** SHA-256 of a key, as stored. */
export function keyHash(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/** A new random salt. */
export function newSalt(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/** The credential a device is given: its key (base64url) with its device key name. */
export function formatCredential(deviceKey: string, key: Buffer): string {
  return `${deviceCredentialPrefix}${deviceKey}.${key.toString('base64url')}`;
}

/** Splits a credential into device key name and signing key; undefined when malformed. */
export function parseCredential(credential: string): { deviceKey: string; key: Buffer } | undefined {
  const m = /^plzd_([a-z0-9][a-z0-9-]{0,62})\.([A-Za-z0-9_-]{43})$/.exec(credential);
  if (!m) return undefined;
  return { deviceKey: m[1], key: Buffer.from(m[2], 'base64url') };
}

/** The HMAC-SHA-256 signature (hex) of a batch. */
export function signBatch(key: Buffer, timestamp: number, seq: number, body: Buffer | string): string {
  return crypto.createHmac('sha256', key).update(`${timestamp}.${seq}.`).update(body).digest('hex');
}

/** Constant-time check of a presented signature (hex, optionally prefixed `sha256=`). */
export function signatureMatches(key: Buffer, timestamp: number, seq: number, body: Buffer, presented: string): boolean {
  const hex = presented.startsWith('sha256=') ? presented.slice(7) : presented;
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = Buffer.from(signBatch(key, timestamp, seq, body), 'hex');
  return crypto.timingSafeEqual(expected, Buffer.from(hex.toLowerCase(), 'hex'));
}

/** True when `timestamp` (Unix seconds) is within ±windowSeconds of `nowMs`. */
export function withinWindow(timestamp: number, nowMs: number, windowSeconds: number): boolean {
  return Number.isSafeInteger(timestamp) && Math.abs(nowMs / 1000 - timestamp) <= windowSeconds;
}

/** The digest that makes a retried batch recognisable: SHA-256 of the body bytes. */
export function bodyDigest(body: Buffer): string {
  return crypto.createHash('sha256').update(body).digest('hex');
}

/**
 * An MQTT message: a header line `v1 <timestamp> <sequence> <signature>` then the JSON body.
 * Returns the parts or undefined when malformed.
 */
export function parseMqttPayload(payload: Buffer): { timestamp: number; seq: number; signature: string; body: Buffer } | undefined {
  const nl = payload.indexOf(10);
  if (nl < 0 || nl > 200) return undefined;
  const m = /^v1 (\d{1,12}) (\d{1,16}) ([0-9a-f]{64})$/.exec(payload.subarray(0, nl).toString('latin1'));
  if (!m) return undefined;
  return { timestamp: Number(m[1]), seq: Number(m[2]), signature: m[3], body: payload.subarray(nl + 1) };
}

/** Builds an MQTT message for a batch (used by the simulator and devices written in Node). */
export function mqttPayload(key: Buffer, timestamp: number, seq: number, body: string): Buffer {
  return Buffer.concat([Buffer.from(`v1 ${timestamp} ${seq} ${signBatch(key, timestamp, seq, body)}\n`), Buffer.from(body)]);
}
