import fs from 'node:fs';
import type { Actor } from '../auth/actor';
import type { ActionContext } from '../auth/auth-context';
import { authorize, publisherScope } from '../auth/policy';
import type { AuditConfig } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import { appendAudit, auditHasMore, iterateAudit, queryAudit, type AuditEntry, type AuditFilter, type AuditVisibility } from './audit.repository';
import { createCheckpoint, loadSigningKey, loadVerifyKey, readCheckpointFile, type Checkpoint } from './audit-checkpoint';
import { verifyAuditChain, type VerifyResult } from './audit-verify';

/** One page of the audit log with keyset cursors. */
export interface AuditPage {
  entries: AuditEntry[];
  /** Sequence numbers to continue from, when there are older / newer entries. */
  olderThan?: number;
  newerThan?: number;
}

function visibilityFor(actor: Actor): AuditVisibility {
  return publisherScope(actor);
}

/** A page of entries the actor may see (stewards: their publishers' datasets), newest first. */
export async function listAuditFor(
  db: Db,
  actor: Actor,
  filter: AuditFilter,
  page: { beforeSeq?: number; afterSeq?: number; perPage: number },
): Promise<AuditPage> {
  authorize(actor, 'audit:read', { type: 'publishers' });
  const visibility = visibilityFor(actor);
  const entries = await queryAudit(db, filter, visibility, { beforeSeq: page.beforeSeq, afterSeq: page.afterSeq, limit: page.perPage });
  if (!entries.length) return { entries };
  const newest = entries[0].seq;
  const oldest = entries[entries.length - 1].seq;
  const [older, newer] = await Promise.all([
    auditHasMore(db, filter, visibility, oldest, 'older'),
    auditHasMore(db, filter, visibility, newest, 'newer'),
  ]);
  return { entries, olderThan: older ? oldest : undefined, newerThan: newer ? newest : undefined };
}

/** Starts an export: audits it (who exported what), then yields the matching entries in chain order. */
export async function exportAuditFor(db: Db, ctx: ActionContext, filter: AuditFilter, format: 'csv' | 'json'): Promise<AsyncGenerator<AuditEntry>> {
  authorize(ctx.actor, 'audit:export', { type: 'publishers' });
  await appendAudit(db, {
    actor: ctx.actor.id,
    requestId: ctx.requestId,
    client: ctx.client,
    action: 'download.audit_export',
    objectType: 'audit_log',
    details: { format, filter: { ...filter } },
  });
  return iterateAudit(db, filter, visibilityFor(ctx.actor));
}

/** Verifies the chain against the configured (or given) checkpoint file and key. */
export async function verifyChain(
  db: Db,
  audit: AuditConfig,
  options: { checkpointFile?: string; publicKeyFile?: string; from?: { seq: number; hash: string } } = {},
): Promise<VerifyResult & { checkpointFile: string }> {
  const checkpointFile = options.checkpointFile ?? audit.checkpointFile;
  const checkpoints = readCheckpointFile(checkpointFile);
  const keys = options.publicKeyFile ? loadVerifyKey(options.publicKeyFile) : loadSigningKey(audit.signingKeyFile);
  const result = await verifyAuditChain(db, {
    checkpoints,
    keys,
    complete: options.checkpointFile === undefined || options.checkpointFile === audit.checkpointFile,
    from: options.from,
  });
  return { ...result, checkpointFile };
}

/** The last verification a deployment ran, shown on the audit page. */
export interface VerificationStatus {
  result: VerifyResult;
  at: string;
  /** True when only the entries added since the previous check were recomputed. */
  incremental: boolean;
  /** When every entry was last recomputed from the first one. */
  fullCheckAt: string;
  /** Entries recomputed by this check (all of them, for a full check). */
  checkedEntries: number;
}

const lastStatus = new WeakMap<Db, VerificationStatus>();

/**
 * The verification status for the audit page. A full check runs the first time and on request
 * (`full`); otherwise only entries appended since the last successful check are recomputed,
 * which keeps the page fast on a long chain.
 */
export async function verificationStatusFor(db: Db, audit: AuditConfig, actor: Actor, options: { full?: boolean } = {}): Promise<VerificationStatus> {
  authorize(actor, options.full ? 'audit:verify' : 'audit:read', { type: 'publishers' });
  const previous = lastStatus.get(db);
  const from = !options.full && previous?.result.ok ? { seq: previous.result.entries, hash: previous.result.headHash } : undefined;
  const result = await verifyChain(db, audit, { from });
  const at = new Date().toISOString();
  const status: VerificationStatus = {
    result,
    at,
    incremental: from !== undefined,
    fullCheckAt: from !== undefined && previous ? previous.fullCheckAt : at,
    checkedEntries: from !== undefined && result.ok ? result.entries - from.seq : result.ok ? result.entries : 0,
  };
  lastStatus.set(db, status);
  return status;
}

/** The checkpoint file's lines and the public key, for admins to copy elsewhere. */
export function checkpointsFor(actor: Actor, audit: AuditConfig): { lines: string; checkpoints: Checkpoint[]; publicKey: string | null } {
  authorize(actor, 'audit:checkpoints', { type: 'system' });
  const lines = fs.existsSync(audit.checkpointFile) ? fs.readFileSync(audit.checkpointFile, 'utf8') : '';
  const keys = loadSigningKey(audit.signingKeyFile);
  return { lines, checkpoints: readCheckpointFile(audit.checkpointFile), publicKey: keys ? String(keys.publicKey.export({ type: 'spki', format: 'pem' })) : null };
}

/** Signs the head now (admin action or CLI). */
export async function checkpointNow(db: Db, audit: AuditConfig, actor: Actor): Promise<Checkpoint> {
  authorize(actor, 'audit:checkpoint', { type: 'system' });
  return createCheckpoint(db, { signingKeyFile: audit.signingKeyFile, checkpointFile: audit.checkpointFile, actor });
}

/**
 * Signs a checkpoint every `checkpointIntervalSeconds` (hourly by default), whether or not
 * anything happened, so a verifier always has a recent signed head. The timer is unref'd: it
 * never keeps the process alive. Returns a function that stops it.
 */
export function startCheckpointSchedule(db: Db, audit: AuditConfig, actor: Actor, logger: Logger): () => void {
  if (!audit.checkpointIntervalSeconds) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkpointNow(db, audit, actor)
      .then((c) => logger.info({ checkpoint: c.n, seq: c.seq }, 'audit checkpoint signed'))
      .catch((err: unknown) => logger.error({ err }, 'audit checkpoint failed'))
      .finally(() => {
        running = false;
      });
  }, audit.checkpointIntervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
