import { appendAudit } from '../audit/audit.repository';
import type { CellValue } from '../catalogue/table-schema';
import type { Db } from '../db/knex';
import { evaluateGate } from '../publishing/gate';
import { defaultGatePolicy, type GatePolicy } from '../publishing/gate-policy';
import { publishRelease } from '../publishing/publish.service';
import { readReadings } from './reading.repository';
import {
  closedWindows,
  computeRollup,
  intervalsEndingAt,
  personalRollupEvidence,
  readingColumns,
  readingRows,
  rollupColumns,
} from './rollup';
import { intervalMinutes, releaseIntervalMs, sortedIntervals, type DevicePlace } from './stream.schemas';
import { hasStandingApproval } from './stream.service';
import { getStreamById, listDevices, listStreams, lockStream, setBlockedReason, setClosedUntil, type StreamRecord } from './stream.repository';

/**
 * Automatic releases of streams. For every stream, each release interval (its finest rollup
 * interval) that has closed — its end plus the late-arrival window has passed — is released in one
 * transaction with the watermark that records it, so a restart neither skips nor repeats one:
 * public streams publish the interval's rollups and raw readings; personal streams only the
 * rollups that pass household suppression and then the publication gate, with the stream's
 * standing four-eyes approval. A refused release is audited (once per reason) and the interval
 * stays open until the cause is fixed.
 */

/** What one run did for one stream. */
export interface StreamRunReport {
  stream: string;
  closed: number;
  releases: number;
  blocked: string | null;
}

/** Options of a run. */
export interface ReleaseRunOptions {
  now?: number;
  gate?: GatePolicy;
  /** Most intervals one stream closes per run (a long outage catches up over several runs). */
  maxWindows?: number;
  actor?: string;
}

const fmt = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', ' UTC').replace('T', ' ');

function statementFor(s: StreamRecord): string {
  const intervals = sortedIntervals(s.rollup).join(' and ');
  if (s.level === 'public') return `Published automatically from the sensors as they reported; ${intervals} summaries computed by the portal.`;
  const where = s.rollup.spatial.type === 'all' ? 'across the whole area' : `per ${s.rollup.spatial.type === 'ward' ? 'ward' : 'area'}`;
  return (
    `Household readings are never published. Only ${intervals} totals ${where} over at least ${s.rollup.minHouseholds} households are; ` +
    'groups with fewer households are left out (and so is any longer period containing them), and no single household’s highest or lowest reading is shown.'
  );
}

/** Closes every due interval of every stream. */
export async function closeDueIntervals(db: Db, options: ReleaseRunOptions = {}): Promise<StreamRunReport[]> {
  const reports: StreamRunReport[] = [];
  for (const s of await listStreams(db)) reports.push(await closeStreamIntervals(db, s.id, options));
  return reports;
}

/** Closes the due intervals of one stream, oldest first, each in its own transaction. */
export async function closeStreamIntervals(db: Db, streamId: number, options: ReleaseRunOptions = {}): Promise<StreamRunReport> {
  const now = options.now ?? Date.now();
  const stream = (await getStreamById(db, streamId))!;
  const report: StreamRunReport = { stream: stream.slug, closed: 0, releases: 0, blocked: null };
  const windowMs = releaseIntervalMs(stream.rollup);
  const due = closedWindows(stream.closedUntil, now, windowMs, stream.rollup.lateSeconds * 1000, options.maxWindows ?? 48);
  for (const start of due) {
    const outcome = await db.transaction(async (trx) => {
      await lockStream(trx, streamId);
      const current = (await getStreamById(trx, streamId))!;
      // Another instance (or an earlier run) closed it already: never release an interval twice.
      if (current.closedUntil !== start) return { kind: 'skipped' as const };
      return closeWindow(trx as unknown as Db, current, start, options);
    });
    if (outcome.kind === 'skipped') break;
    if (outcome.kind === 'blocked') {
      report.blocked = outcome.reason;
      break;
    }
    report.closed++;
    report.releases += outcome.releases;
  }
  return report;
}

type WindowOutcome = { kind: 'closed'; releases: number } | { kind: 'blocked'; reason: string } | { kind: 'skipped' };

async function closeWindow(trx: Db, s: StreamRecord, start: number, options: ReleaseRunOptions): Promise<WindowOutcome> {
  const actor = options.actor ?? 'system:streams';
  const end = start + releaseIntervalMs(s.rollup);
  const intervals = intervalsEndingAt(s.rollup, end);
  const longest = Math.max(...intervals.map((i) => intervalMinutes[i] * 60_000));
  const readings = await readReadings(trx, s.id, end - longest, end);
  const devices = new Map<number, DevicePlace>((await listDevices(trx, s.id)).map((d) => [d.id, d]));
  const input = { level: s.level, measures: s.measures, policy: s.rollup, devices, readings };
  const rows: CellValue[][] = [];
  const suppressed: Record<string, string[]> = {};
  let minUnits: number | null = null;
  for (const interval of intervals) {
    const r = computeRollup(input, interval, end - intervalMinutes[interval] * 60_000);
    rows.push(...r.rows);
    if (r.suppressed.length) suppressed[interval] = r.suppressed;
    if (r.minUnits !== null) minUnits = minUnits === null ? r.minUnits : Math.min(minUnits, r.minUnits);
  }
  const windowReadings = readings.filter((r) => r.at >= start);
  const columns = rollupColumns(s.level, s.measures, s.rollup);
  const period = `${fmt(start)} to ${fmt(end)}`;
  const releases: Array<{ dataset: string; version: number; rows: number }> = [];

  if (s.level === 'personal' && rows.length > 0) {
    const approvals = { submitter: s.policyBy, approver: hasStandingApproval(s) ? s.approvedBy : null };
    const verdict = evaluateGate(personalRollupEvidence({ columns, minHouseholds: minUnits, policy: s.rollup, approvals }), options.gate ?? defaultGatePolicy);
    if (!verdict.allowed) {
      const failed = verdict.checks.filter((c) => !c.passed);
      const reason = failed.map((c) => c.reason).join(' ');
      if (s.blockedReason !== reason) {
        await setBlockedReason(trx, s.id, reason);
        await appendAudit(trx, {
          actor,
          action: 'stream.release_refused',
          objectType: 'stream',
          objectId: s.id,
          outcome: 'denied',
          datasetId: s.datasetId,
          details: { stream: s.slug, period, policyVersion: s.policyVersion, failed: failed.map((c) => ({ check: c.id, reason: c.reason })) },
        });
      }
      return { kind: 'blocked', reason };
    }
    const r = await publishRelease(trx, {
      datasetId: s.datasetId,
      columns,
      batches: [rows],
      actor,
      notes: `Automatic release: ${intervals.join(' and ')} figures for ${period} (policy version ${s.policyVersion}, approved by ${approvals.approver}).`,
      statement: statementFor(s),
      policy: { stream: s.slug, rollup: s.rollup, policyVersion: s.policyVersion },
      protection: { kind: 'stream_rollup', minHouseholds: s.rollup.minHouseholds, smallestPublishedGroup: minUnits, suppressedGroups: Object.values(suppressed).reduce((n, g) => n + g.length, 0), gate: verdict.checks, approvals },
    });
    releases.push({ dataset: s.slug, version: r.version, rows: r.rowCount });
  } else if (s.level === 'public') {
    if (rows.length) {
      const r = await publishRelease(trx, {
        datasetId: s.datasetId,
        columns,
        batches: [rows],
        actor,
        notes: `Automatic release: ${intervals.join(' and ')} figures for ${period}.`,
        statement: statementFor(s),
        policy: { stream: s.slug, rollup: s.rollup, policyVersion: s.policyVersion },
      });
      releases.push({ dataset: s.slug, version: r.version, rows: r.rowCount });
    }
    if (windowReadings.length && s.readingsDatasetId !== null) {
      const r = await publishRelease(trx, {
        datasetId: s.readingsDatasetId,
        columns: readingColumns(s.measures),
        batches: [readingRows(s.measures, devices, windowReadings)],
        actor,
        notes: `Automatic release: every reading from ${period}.`,
        statement: statementFor(s),
      });
      releases.push({ dataset: `${s.slug}-readings`, version: r.version, rows: r.rowCount });
    }
  }
  await setClosedUntil(trx, s.id, end);
  if (windowReadings.length || Object.keys(suppressed).length) {
    await appendAudit(trx, {
      actor,
      action: 'stream.interval_closed',
      objectType: 'stream',
      objectId: s.id,
      datasetId: s.datasetId,
      details: { stream: s.slug, start: new Date(start).toISOString(), end: new Date(end).toISOString(), readings: windowReadings.length, releases, suppressedGroups: Object.fromEntries(Object.entries(suppressed).map(([k, v]) => [k, v.length])) },
    });
  }
  return { kind: 'closed', releases: releases.length };
}
