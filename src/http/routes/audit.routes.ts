import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import { auditActionFamilies, auditQuery, fromBound, toBound, type AuditQuery } from '../../audit/audit.schemas';
import { auditActions } from '../../audit/audit.actions';
import type { AuditEntry, AuditFilter } from '../../audit/audit.repository';
import { checkpointNow, checkpointsFor, exportAuditFor, listAuditFor, verificationStatusFor } from '../../audit/audit.service';
import { datasetIdBySlug } from '../../auth/managed-dataset.repository';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { page } from '../page';
import { withQuery } from '../urls';
import { parseInput } from '../validate';
import { actionContext, currentActor, requireSignedIn } from '../middleware/auth.middleware';

/** Entries per audit page. */
export const auditPerPage = 50;

function entryJson(e: AuditEntry) {
  let details: unknown;
  try {
    details = JSON.parse(e.details);
  } catch {
    details = e.details;
  }
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    datasetId: e.datasetId ?? null,
    outcome: e.outcome,
    requestId: e.requestId,
    client: e.client,
    details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

const csvColumns = ['seq', 'at', 'actor', 'action', 'object_type', 'object_id', 'dataset_id', 'outcome', 'request_id', 'client', 'details', 'prev_hash', 'hash'];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // Cells starting with a formula character are defused for spreadsheet users (CSV injection).
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function csvRow(e: AuditEntry): string {
  return [e.seq, e.at, e.actor, e.action, e.objectType, e.objectId, e.datasetId, e.outcome, e.requestId, e.client, e.details, e.prevHash, e.hash].map(csvCell).join(',') + '\r\n';
}

async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

/** Audit log pages for admins (everything) and stewards (their publishers' datasets), exports and checkpoints. */
export function auditRouter(deps: { db: Db; config: Config }): Router {
  const { db, config } = deps;
  const router = Router();
  router.use(['/audit', '/audit.json'], requireSignedIn);

  const filterOf = async (q: AuditQuery): Promise<AuditFilter> => ({
    actor: q.actor,
    action: q.action,
    // An unknown dataset matches nothing rather than everything.
    datasetId: q.dataset ? ((await datasetIdBySlug(db, q.dataset)) ?? -1) : undefined,
    from: q.from ? fromBound(q.from) : undefined,
    to: q.to ? toBound(q.to) : undefined,
  });
  const params = (q: AuditQuery) => ({ actor: q.actor, action: q.action, dataset: q.dataset, from: q.from, to: q.to });

  page(router, '/audit', async (req, res) => {
    const q = parseInput(auditQuery, req.query);
    const actor = currentActor(res);
    const cursor = q.cursor ? { [q.cursor[0] === 'b' ? 'beforeSeq' : 'afterSeq']: Number(q.cursor.slice(1)) } : {};
    const result = await listAuditFor(db, actor, await filterOf(q), { ...cursor, perPage: auditPerPage });
    const status = await verificationStatusFor(db, config.audit, actor);
    const p = params(q);
    const links = {
      older: result.olderThan !== undefined ? withQuery('/audit', { ...p, cursor: `b${result.olderThan}` }) : null,
      newer: result.newerThan !== undefined ? withQuery('/audit', { ...p, cursor: `a${result.newerThan}` }) : null,
      csv: withQuery('/audit/export.csv', p),
      json: withQuery('/audit/export.json', p),
    };
    return {
      view: 'audit/index',
      title: 'Audit log',
      locals: { q, entries: result.entries, links, status, actions: auditActions, families: auditActionFamilies, isAdmin: actor.role === 'admin', errors: [] },
      json: {
        filters: p,
        entries: result.entries.map(entryJson),
        links: {
          older: links.older && withQuery('/audit.json', { ...p, cursor: `b${result.olderThan}` }),
          newer: links.newer && withQuery('/audit.json', { ...p, cursor: `a${result.newerThan}` }),
          csv: links.csv,
          json: links.json,
        },
        verification: {
          ok: status.result.ok,
          entries: status.result.entries,
          at: status.at,
          incremental: status.incremental,
          fullCheckAt: status.fullCheckAt,
          checkedEntries: status.checkedEntries,
          ...(status.result.ok ? { checkpoints: status.result.checkpoints } : { seq: status.result.seq, reason: status.result.reason }),
        },
      },
    };
  });

  const exporter = (format: 'csv' | 'json') => async (req: Request, res: Response) => {
    const q = parseInput(auditQuery, req.query);
    const entries = await exportAuditFor(db, actionContext(req, res, config), await filterOf(q), format);
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    res.setHeader('Content-Disposition', `attachment; filename="plaza-audit-${stamp}.${format}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    await write(res, format === 'csv' ? csvColumns.join(',') + '\r\n' : '[');
    let first = true;
    for await (const e of entries) {
      if (closed) break;
      await write(res, format === 'csv' ? csvRow(e) : (first ? '\n' : ',\n') + JSON.stringify(entryJson(e)));
      first = false;
    }
    if (!closed) res.end(format === 'csv' ? '' : '\n]\n');
  };
  router.get('/audit/export.csv', exporter('csv'));
  router.get('/audit/export.json', exporter('json'));

  router.post('/audit/verify', async (_req, res) => {
    await verificationStatusFor(db, config.audit, currentActor(res), { full: true });
    res.redirect(303, '/audit');
  });

  router.post('/audit/checkpoints', async (_req, res) => {
    await checkpointNow(db, config.audit, currentActor(res));
    res.redirect(303, '/audit/checkpoints');
  });

  page(router, '/audit/checkpoints', async (_req, res) => {
    const c = checkpointsFor(currentActor(res), config.audit);
    return {
      view: 'audit/checkpoints',
      title: 'Audit checkpoints',
      locals: { checkpoints: c.checkpoints, publicKey: c.publicKey, file: config.audit.checkpointFile },
      json: { checkpoints: c.checkpoints, publicKey: c.publicKey },
    };
  });

  router.get('/audit/checkpoints.jsonl', (_req, res) => {
    const c = checkpointsFor(currentActor(res), config.audit);
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/jsonl; charset=utf-8').send(c.lines);
  });

  router.get('/audit/public-key.pem', (_req, res) => {
    const c = checkpointsFor(currentActor(res), config.audit);
    res.type('application/x-pem-file').send(c.publicKey ?? '');
  });

  return router;
}
