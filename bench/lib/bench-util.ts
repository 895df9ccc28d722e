import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { fromRoot } from '../../src/paths';

/** Load-test figures for one URL. */
export interface LoadResult {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Runs autocannon against a URL and returns its figures. */
export async function load(name: string, url: string, options: { connections: number; duration: number }): Promise<LoadResult> {
  const r = await autocannon({ url, connections: options.connections, duration: options.duration });
  return {
    name,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/**
 * V8 heap settings `npm start` runs the server with (package.json): an explicit old-space limit
 * makes V8 grow the heap far less eagerly than its default (a quarter of RAM), and small
 * semi-spaces keep the young generation small; together they hold RSS near 110 MB under load
 * at the same throughput.
 */
export const serverNodeFlags = ['--max-old-space-size=512', '--max-semi-space-size=2'];

let compiled = false;

/**
 * The node arguments that run a bench server script as `npm start` runs the portal: compiled
 * JavaScript (tsc, once per bench run, into dist/bench-build), not through tsx, whose loader
 * holds about 24 MB of transpiled sources and would count in the server's RSS. BENCH_TSX=1 runs
 * the TypeScript through tsx instead (no compile step, for quick iterations).
 */
function serverEntry(script: string): string[] {
  if (process.env.BENCH_TSX === '1') return ['--import', 'tsx', fromRoot(script)];
  if (!compiled) {
    console.error('(compiling the bench server with tsc -p tsconfig.bench.json …)');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', fromRoot('tsconfig.bench.json')], { stdio: 'inherit', cwd: fromRoot() });
    compiled = true;
  }
  return [fromRoot('dist/bench-build', script.replace(/\.ts$/, '.js'))];
}

/** Starts a bench server script (compiled, see serverEntry) and resolves when it prints its port. */
export async function startBenchServer(script: string, env: NodeJS.ProcessEnv): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  // BENCH_SERVER_FLAGS adds node flags to the server (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it).
  const extra = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...serverNodeFlags, ...extra, ...serverEntry(script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`bench server exited with ${code}: ${out}`)));
  });
  return {
    port,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** Prints a table of results with ratios to the baseline. */
export function printTable(title: string, baseline: LoadResult, rows: LoadResult[]): void {
  console.log(`\n${title}`);
  console.log('| target | req/s | ratio to bare route | p50 ms | p99 ms | errors | non-2xx |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of [baseline, ...rows]) {
    console.log(
      `| ${r.name} | ${r.reqPerSec.toFixed(0)} | ${(r.reqPerSec / baseline.reqPerSec).toFixed(3)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
    );
  }
}
