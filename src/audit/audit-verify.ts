import type { DbOrTrx } from '../db/knex';
import { readAuditBatch } from './audit.repository';
import { checkpointLink, checkpointSignatureValid, type AuditKeys, type Checkpoint } from './audit-checkpoint';
import { genesisHash, hashAuditRecord } from './audit-hash';

/** The outcome of recomputing the chain. */
export type VerifyResult =
  | { ok: true; entries: number; headHash: string; checkpoints: number; notes: string[] }
  | { ok: false; entries: number; seq: number; reason: string; notes: string[] };

/** What to check the chain against. */
export interface VerifyOptions {
  /** Checkpoints to hold the chain to (from the live file or a copy kept elsewhere). */
  checkpoints?: Checkpoint[];
  /** Key to check their signatures; required when there are checkpoints. */
  keys?: AuditKeys;
  /**
   * True when the checkpoints are the live file: every checkpoint the chain records must be in
   * it. A copy taken earlier may legitimately lack the newest ones.
   */
  complete?: boolean;
  /** Rows read per keyset batch. */
  batchSize?: number;
  /** Start from an already verified entry (incremental checks); default the genesis. */
  from?: { seq: number; hash: string };
}

/**
 * Recomputes the audit chain entry by entry, streaming it in keyset batches (never the whole
 * table in memory), and stops at the first problem: a missing sequence number (gap), an entry
 * whose prev_hash is not the previous entry's hash (reordered or inserted), an entry whose content
 * does not match its hash (edited), a signed checkpoint the chain no longer matches (recomputed or
 * truncated), or a checkpoint the chain recorded that the file lacks (deleted checkpoint).
 */
export async function verifyAuditChain(db: DbOrTrx, options: VerifyOptions = {}): Promise<VerifyResult> {
  const notes: string[] = [];
  const checkpoints = options.checkpoints ?? [];
  const fail = (entries: number, seq: number, reason: string): VerifyResult => ({ ok: false, entries, seq, reason, notes });

  // 1. The checkpoint file itself: numbered without gaps, linked, signed by our key.
  const bySeq = new Map<number, Checkpoint[]>();
  const byN = new Map<number, Checkpoint>();
  let prev: Checkpoint | undefined;
  for (const c of checkpoints) {
    const expectedN = prev ? prev.n + 1 : 1;
    if (c.n !== expectedN) return fail(0, c.seq, `checkpoint ${expectedN} is missing from the checkpoint file (next is ${c.n})`);
    if (c.prev !== (prev ? checkpointLink(prev) : genesisHash)) return fail(0, c.seq, `checkpoint ${c.n} does not link to the checkpoint before it (file edited)`);
    if (prev && c.seq < prev.seq) return fail(0, c.seq, `checkpoint ${c.n} goes backwards (seq ${c.seq} after ${prev.seq})`);
    if (!options.keys) return fail(0, c.seq, 'no public key to check the checkpoint signatures with');
    if (!checkpointSignatureValid(c, options.keys)) return fail(0, c.seq, `checkpoint ${c.n} has an invalid signature`);
    bySeq.set(c.seq, [...(bySeq.get(c.seq) ?? []), c]);
    byN.set(c.n, c);
    prev = c;
  }
  const lastFileN = prev?.n ?? 0;
  for (const c of bySeq.get(0) ?? []) {
    if (c.hash !== genesisHash) return fail(0, 0, `checkpoint ${c.n} signed an empty chain with a non-genesis hash`);
  }

  // 2. The chain.
  const batchSize = options.batchSize ?? 10_000;
  let expectedSeq = (options.from?.seq ?? 0) + 1;
  let prevHash = options.from?.hash ?? genesisHash;
  let count = options.from?.seq ?? 0;
  let newerCheckpoints = 0;
  for (;;) {
    const batch = await readAuditBatch(db, expectedSeq - 1, batchSize);
    for (const e of batch) {
      if (e.seq !== expectedSeq) return fail(count, expectedSeq, `gap: entry ${expectedSeq} is missing (the next entry is ${e.seq})`);
      if (e.prevHash !== prevHash) return fail(count, e.seq, `prev_hash does not match the hash of entry ${e.seq - 1} (entries inserted, deleted or reordered)`);
      const hash = e.hash;
      // hashAuditRecord reads the hashed fields by name, so the entry is passed as it is (no copy).
      if (hashAuditRecord(e) !== hash) return fail(count, e.seq, 'hash mismatch: the entry was changed after it was written');
      for (const c of bySeq.get(e.seq) ?? []) {
        if (c.hash !== hash) return fail(count, e.seq, `checkpoint mismatch: checkpoint ${c.n} signed a different hash for this entry (chain rewritten)`);
      }
      if (checkpoints.length && e.action === 'admin.checkpoint') {
        const recorded = JSON.parse(e.details) as { n?: number; seq?: number; hash?: string };
        const n = Number(recorded.n);
        const inFile = byN.get(n);
        if (inFile) {
          if (inFile.seq !== recorded.seq || inFile.hash !== recorded.hash) {
            return fail(count, e.seq, `checkpoint ${n} recorded in the chain differs from the checkpoint file`);
          }
        } else if (n > lastFileN && !options.complete) {
          newerCheckpoints++;
        } else {
          return fail(count, e.seq, `checkpoint mismatch: checkpoint ${n} recorded here is missing from the checkpoint file (deleted)`);
        }
      }
      prevHash = hash;
      expectedSeq++;
      count++;
    }
    if (batch.length < batchSize) break;
  }
  const beyond = checkpoints.filter((c) => c.seq > count);
  if (beyond.length) {
    const c = beyond[0];
    return fail(count, count + 1, `truncated: checkpoint ${c.n} covers entry ${c.seq} but the chain ends at ${count}`);
  }
  if (newerCheckpoints) notes.push(`the chain records ${newerCheckpoints} checkpoint(s) newer than this checkpoint file`);
  return { ok: true, entries: count, headHash: prevHash, checkpoints: checkpoints.length, notes };
}
