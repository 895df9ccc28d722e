import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import type { GatePolicy } from '../publishing/gate-policy';
import { leaderLock } from './scheduler-lock.repository';
import { closeDueIntervals, type StreamRunReport } from './stream-release.service';

/**
 * Runs the stream releases on a timer. Every tick the instance tries to become (or stay) the
 * leader; only the leader closes intervals. Ticks never overlap.
 */

/** A running scheduler. */
export interface StreamScheduler {
  /** Runs one tick now (tests); resolves with what it did, or null when not the leader. */
  tick(now?: number): Promise<StreamRunReport[] | null>;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** Starts the scheduler (tickSeconds 0: no timer, ticks only on demand). */
export function startStreamScheduler(db: Db, options: { tickSeconds: number; logger?: Logger; gate?: GatePolicy }): StreamScheduler {
  const lock = leaderLock(db);
  let running: Promise<StreamRunReport[] | null> | null = null;
  let stopped = false;
  const tick = async (now?: number): Promise<StreamRunReport[] | null> => {
    if (stopped) return null;
    if (running) return running;
    running = (async () => {
      try {
        if (!(await lock.tryAcquire())) return null;
        const reports = await closeDueIntervals(db, { now, gate: options.gate });
        const busy = reports.filter((r) => r.closed || r.blocked);
        if (busy.length) options.logger?.info({ streams: busy }, 'stream intervals closed');
        return reports;
      } catch (err) {
        options.logger?.error({ err }, 'stream scheduler tick failed');
        return null;
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = options.tickSeconds > 0 ? setInterval(() => void tick(), options.tickSeconds * 1000) : null;
  timer?.unref();
  if (timer) setTimeout(() => void tick(), 1000).unref();
  return {
    tick,
    isLeader: () => lock.held(),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (running) await running;
      await lock.release();
    },
  };
}
