import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Actor } from '../auth/actor';
import type { Db } from '../db/knex';
import { appendAudit, auditHead, lockAuditChain } from './audit.repository';
import { canonicalJson, genesisHash } from './audit-hash';

/**
 * Signed checkpoints of the audit chain. A checkpoint is one JSON line: the head of the chain
 * (sequence number and hash) at a time, linked to the previous checkpoint line and signed with an
 * Ed25519 key that lives in a file outside the database. Someone who can rewrite the database but
 * not read the key cannot produce checkpoints, so a verifier holding an earlier checkpoint file
 * detects a truncated or recomputed chain.
 */

/** One line of the checkpoint file. */
export interface Checkpoint {
  /** 1, 2, 3, … — a gap means a line was removed. */
  n: number;
  seq: number;
  hash: string;
  at: string;
  /** SHA-256 of the previous checkpoint line (zeros for the first). */
  prev: string;
  /** Fingerprint of the public key that signed it. */
  keyId: string;
  /** Base64 Ed25519 signature over the canonical JSON of the fields above. */
  sig: string;
}

/** The signing key pair and its fingerprint. */
export interface AuditKeys {
  privateKey?: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Loads the private signing key, creating it (mode 0600) the first time when `create` is set. */
export function loadSigningKey(file: string, options: { create?: boolean } = {}): AuditKeys | undefined {
  if (!fs.existsSync(file)) {
    if (!options.create) return undefined;
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  const privateKey = crypto.createPrivateKey(fs.readFileSync(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key must be an Ed25519 key');
  const publicKey = crypto.createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** Loads a public key for verification from a PEM file holding either the public or the private key. */
export function loadVerifyKey(file: string): AuditKeys | undefined {
  if (!fs.existsSync(file)) return undefined;
  const pem = fs.readFileSync(file, 'utf8');
  const publicKey = pem.includes('PRIVATE KEY') ? crypto.createPublicKey(crypto.createPrivateKey(pem)) : crypto.createPublicKey(pem);
  return { publicKey, keyId: keyIdOf(publicKey) };
}

/** The public key in PEM form, to publish alongside the checkpoints. */
export function publicKeyPem(keys: AuditKeys): string {
  return String(keys.publicKey.export({ type: 'spki', format: 'pem' }));
}

function signedPart(c: Omit<Checkpoint, 'sig'>): string {
  return canonicalJson({ n: c.n, seq: c.seq, hash: c.hash, at: c.at, prev: c.prev, keyId: c.keyId });
}

/** The link a checkpoint line gives the next one. */
export function checkpointLink(c: Checkpoint): string {
  return crypto.createHash('sha256').update(canonicalJson(c)).digest('hex');
}

/** True when the checkpoint's signature verifies under the key. */
export function checkpointSignatureValid(c: Checkpoint, keys: AuditKeys): boolean {
  if (c.keyId !== keys.keyId) return false;
  try {
    return crypto.verify(null, Buffer.from(signedPart(c)), keys.publicKey, Buffer.from(c.sig, 'base64'));
  } catch {
    return false;
  }
}

/** A line of the checkpoint file that is not a well-formed checkpoint. */
export class CheckpointFileError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`checkpoint file line ${line}: ${message}`);
  }
}

/** Parses checkpoint lines (JSON lines; blank lines ignored). */
export function parseCheckpoints(text: string): Checkpoint[] {
  const out: Checkpoint[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let c: Checkpoint;
    try {
      c = JSON.parse(line) as Checkpoint;
    } catch {
      throw new CheckpointFileError(i + 1, 'not valid JSON');
    }
    const ok =
      Number.isInteger(c.n) &&
      Number.isInteger(c.seq) &&
      typeof c.hash === 'string' &&
      typeof c.at === 'string' &&
      typeof c.prev === 'string' &&
      typeof c.keyId === 'string' &&
      typeof c.sig === 'string';
    if (!ok) throw new CheckpointFileError(i + 1, 'missing or malformed fields');
    out.push({ n: c.n, seq: c.seq, hash: c.hash, at: c.at, prev: c.prev, keyId: c.keyId, sig: c.sig });
  });
  return out;
}

/** Reads a checkpoint file; a missing file has no checkpoints. */
export function readCheckpointFile(file: string): Checkpoint[] {
  return fs.existsSync(file) ? parseCheckpoints(fs.readFileSync(file, 'utf8')) : [];
}

/**
 * Signs the current head and appends it to the checkpoint file, then records the checkpoint in
 * the chain itself (`admin.checkpoint`), so removing a line from the file is detected too. Runs
 * under the chain's append lock, so concurrent checkpoints and appends cannot interleave.
 */
export async function createCheckpoint(
  db: Db,
  options: { signingKeyFile: string; checkpointFile: string; actor: Actor; now?: Date },
): Promise<Checkpoint> {
  const keys = loadSigningKey(options.signingKeyFile, { create: true });
  if (!keys?.privateKey) throw new Error('no audit signing key');
  const privateKey = keys.privateKey;
  return db.transaction(async (trx) => {
    await lockAuditChain(trx);
    const head = await auditHead(trx);
    const existing = readCheckpointFile(options.checkpointFile);
    const last = existing[existing.length - 1];
    const unsigned = {
      n: last ? last.n + 1 : 1,
      seq: head.seq,
      hash: head.hash,
      at: (options.now ?? new Date()).toISOString(),
      prev: last ? checkpointLink(last) : genesisHash,
      keyId: keys.keyId,
    };
    const checkpoint: Checkpoint = { ...unsigned, sig: crypto.sign(null, Buffer.from(signedPart(unsigned)), privateKey).toString('base64') };
    fs.mkdirSync(path.dirname(options.checkpointFile), { recursive: true });
    const fd = fs.openSync(options.checkpointFile, 'a', 0o644);
    try {
      fs.writeSync(fd, canonicalJson(checkpoint) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    await appendAudit(trx, {
      actor: options.actor.id,
      action: 'admin.checkpoint',
      objectType: 'checkpoint',
      objectId: checkpoint.n,
      details: { n: checkpoint.n, seq: checkpoint.seq, hash: checkpoint.hash, keyId: checkpoint.keyId },
    });
    return checkpoint;
  });
}
