import fs from 'node:fs';
import type { Command } from 'commander';
import { systemActor } from '../../auth/actor';
import { systemContext } from '../../auth/auth-context';
import { loadConfig } from '../../config';
import { percentile } from '../../streams/cli-format';
import { simulate, type SimDevice } from '../../streams/simulator';
import { closeDueIntervals } from '../../streams/stream-release.service';
import { getDeviceByKey, getStreamBySlug, listDevices, listStreams } from '../../streams/stream.repository';
import { aggregateNames, intervalNames, type Spatial } from '../../streams/stream.schemas';
import { addDevice, createStream, credentialOf, revokeDeviceCredential } from '../../streams/stream.service';
import { CliError } from '../cli-error';
import { withDatabase } from '../context';

/**
 * `plaza stream:create`, `stream:list`, `stream:release`, `device:add`, `device:revoke` and
 * `simulate`: sensor streams from the shell (the CLI acts as the system, like `plaza import`).
 */

function parseMeasure(spec: string) {
  const [name, unit, min, max, ...title] = spec.split(':');
  if (!name || !unit || min === undefined || max === undefined || !Number.isFinite(Number(min)) || !Number.isFinite(Number(max))) {
    throw new CliError(`--measure needs NAME:UNIT:MIN:MAX[:TITLE], got "${spec}"`);
  }
  return { name, unit, min: Number(min), max: Number(max), ...(title.length ? { title: title.join(':') } : {}) };
}

function parseSpatial(spec: string): Spatial {
  const [type, arg] = spec.split(':');
  if (type === 'device' || type === 'all' || type === 'ward') return { type };
  if (type === 'grid' && arg) return { type, cellDegrees: Number(arg) };
  if (type === 'h3' && arg) return { type, resolution: Number(arg) };
  throw new CliError(`--spatial must be device, all, ward, grid:<degrees> or h3:<resolution>, got "${spec}"`);
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Registers the commands. */
export function register(program: Command): void {
  program
    .command('stream:create')
    .description('define a sensor stream (a catalogue dataset; public streams also get a raw-readings dataset)')
    .option('--file <definition.json>', 'the whole definition as JSON (see docs/streams.md); other options are then ignored')
    .option('--slug <slug>', 'the stream and dataset slug')
    .option('--title <title>', 'title')
    .option('--summary <text>', 'one-line summary', '')
    .option('--publisher <slug>', 'publisher')
    .option('--level <level>', 'public or personal', 'public')
    .option('--measure <name:unit:min:max[:title]>', 'a measure (repeatable)', collect, [])
    .option('--interval <interval>', `rollup interval (repeatable): ${intervalNames.join(', ')}`, collect, [])
    .option('--aggregate <aggregate>', `aggregate per measure (repeatable): ${aggregateNames.join(', ')}`, collect, [])
    .option('--spatial <spatial>', 'device, all, ward, grid:<degrees> or h3:<resolution>', 'device')
    .option('--late <seconds>', 'late-arrival window in seconds', '300')
    .option('--min-households <n>', 'personal streams: least households per published figure')
    .option('--theme <slug>', 'theme (repeatable)', collect, [])
    .action(async (o: Record<string, string | string[] | undefined>) => {
      const def = o.file
        ? (JSON.parse(fs.readFileSync(String(o.file), 'utf8')) as unknown)
        : {
            slug: o.slug,
            title: o.title,
            summary: o.summary,
            publisher: o.publisher,
            level: o.level,
            themes: o.theme,
            measures: (o.measure as string[]).map(parseMeasure),
            rollup: {
              intervals: (o.interval as string[]).length ? o.interval : ['hour'],
              ...((o.aggregate as string[]).length ? { aggregates: o.aggregate } : {}),
              spatial: parseSpatial(String(o.spatial)),
              lateSeconds: Number(o.late),
              ...(o.minHouseholds ? { minHouseholds: Number(o.minHouseholds) } : {}),
            },
          };
      await withDatabase(async (db, config) => {
        const s = await createStream(db, systemContext(systemActor), def, { gate: config.releasePolicy });
        console.log(`Created ${s.level} stream "${s.slug}" (dataset /datasets/${s.slug}${s.readingsDatasetId ? `, raw readings /datasets/${s.slug}-readings` : ''}).`);
        console.log(`Ingest: POST /api/v1/streams/${s.slug}/readings or MQTT plaza/streams/${s.slug}/<device>. Add devices with: plaza device:add --stream ${s.slug} --key <key>`);
        if (s.level === 'personal') console.log('Nothing is published until a steward other than the one who defined the policy approves it (Manage → Streams).');
      });
    });

  program
    .command('stream:list')
    .description('list streams with their watermark and devices')
    .action(async () => {
      await withDatabase(async (db) => {
        for (const s of await listStreams(db)) {
          const devices = await listDevices(db, s.id);
          console.log(`${s.slug}\t${s.level}\treleased to ${new Date(s.closedUntil).toISOString()}\t${devices.filter((d) => !d.revokedAt).length} devices${s.blockedReason ? `\tHELD: ${s.blockedReason}` : ''}`);
        }
      });
    });

  program
    .command('stream:release')
    .description('close every due interval now and publish its releases (what the server’s scheduler does)')
    .action(async () => {
      await withDatabase(async (db, config) => {
        for (const r of await closeDueIntervals(db, { gate: config.releasePolicy })) console.log(`${r.stream}: ${r.closed} interval(s) closed, ${r.releases} release(s)${r.blocked ? `; held: ${r.blocked}` : ''}`);
      });
    });

  program
    .command('device:add')
    .description('register a device and print its credential (shown only now)')
    .requiredOption('--stream <slug>', 'stream')
    .requiredOption('--key <key>', 'device key (lower-case letters, digits, hyphens; unique; also the MQTT user and topic level)')
    .option('--label <label>', 'label', '')
    .option('--lat <lat>', 'latitude')
    .option('--lon <lon>', 'longitude')
    .option('--ward <ward>', 'ward (for ward rollups)')
    .action(async (o: { stream: string; key: string; label: string; lat?: string; lon?: string; ward?: string }) => {
      await withDatabase(async (db, config) => {
        const { device, credential } = await addDevice(db, systemContext(systemActor), config.secret, o.stream, {
          key: o.key,
          label: o.label,
          lat: o.lat === undefined ? null : Number(o.lat),
          lon: o.lon === undefined ? null : Number(o.lon),
          ward: o.ward ?? null,
        });
        console.log(`Added device "${device.key}" to stream "${o.stream}". Its credential (shown only now):`);
        console.log(credential);
      });
    });

  program
    .command('device:revoke')
    .description('revoke a device credential')
    .requiredOption('--stream <slug>', 'stream')
    .requiredOption('--key <key>', 'device key')
    .option('--reason <text>', 'why', '')
    .action(async (o: { stream: string; key: string; reason: string }) => {
      await withDatabase(async (db) => {
        await revokeDeviceCredential(db, systemContext(systemActor), o.stream, o.key, o.reason);
        console.log(`Revoked device "${o.key}" (running servers stop accepting it within 5 seconds).`);
      });
    });

  program
    .command('simulate')
    .description('send realistic signed readings from N devices of a stream (adds sim-… devices as needed)')
    .requiredOption('--stream <slug>', 'stream')
    .option('--devices <n>', 'number of devices', '5')
    .option('--rate <r>', 'readings per second over all devices', '10')
    .option('--batch <n>', 'readings per HTTP request (MQTT: per message)', '')
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)')
    .option('--mqtt', 'send over MQTT (QoS 1) instead of HTTP')
    .option('--url <url>', 'portal address (default: BASE_URL)')
    .option('--mqtt-url <url>', 'broker (default: MQTT_URL or mqtt://127.0.0.1:1883)')
    .action(async (o: { stream: string; devices: string; rate: string; batch: string; duration?: string; mqtt?: boolean; url?: string; mqttUrl?: string }) => {
      const n = Number(o.devices);
      const rate = Number(o.rate);
      if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new CliError('--devices must be a whole number from 1 to 10000');
      if (!(rate > 0)) throw new CliError('--rate must be a positive number');
      const devices: SimDevice[] = await withDatabase(async (db, config) => {
        const stream = await getStreamBySlug(db, o.stream);
        if (!stream) throw new CliError(`no stream "${o.stream}"`);
        const active = (await listDevices(db, stream.id)).filter((d) => !d.revokedAt);
        for (let i = active.length; i < n; i++) {
          let key = `sim-${stream.slug}-${i + 1}`.slice(0, 63);
          while (await getDeviceByKey(db, key)) key = `${key.slice(0, 55)}-${Math.floor(Math.random() * 1e6)}`;
          const { device } = await addDevice(db, systemContext(systemActor), config.secret, stream.slug, { key, label: 'Simulated device', lat: 52.2 + 0.01 * (i % 5), lon: 0.12 + 0.01 * Math.floor(i / 5), ward: ['Abbey', 'Castle', 'Market'][i % 3] });
          active.push(device);
        }
        return active.slice(0, n).map((d) => ({ stream: stream.slug, credential: credentialOf(config.secret, d), measures: stream.measures }));
      });
      const config = loadConfig();
      const mqttUrl = o.mqtt ? (o.mqttUrl ?? config.streams.mqttUrl ?? 'mqtt://127.0.0.1:1883') : undefined;
      const sim = simulate(devices, { baseUrl: o.url ?? config.baseUrl, mqttUrl, rate, batchSize: o.batch ? Number(o.batch) : undefined, durationSeconds: o.duration ? Number(o.duration) : undefined });
      console.log(`Simulating ${devices.length} device(s) of "${o.stream}" at ${rate} readings/s over ${mqttUrl ? `MQTT (${mqttUrl})` : `HTTP (${o.url ?? config.baseUrl})`}. Ctrl-C stops.`);
      const report = () => {
        const s = sim.stats;
        console.log(`sent ${s.sentBatches}, acknowledged ${s.ackedBatches} (${s.ackedReadings} readings), failed ${s.failed}, p99 ${percentile(s.latenciesMs, 0.99).toFixed(1)} ms${s.lastError ? `; last error: ${s.lastError}` : ''}`);
      };
      const timer = setInterval(report, 5000);
      process.once('SIGINT', () => void sim.stop());
      await sim.done;
      clearInterval(timer);
      report();
    });
}
