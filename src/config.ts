import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';
import { fromRoot } from './paths';
import { defaultGatePolicy, parseGatePolicy, type GatePolicy } from './publishing/gate-policy';

/** Validated runtime configuration; built once from the environment by loadConfig(). */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  databaseUrl: string;
  baseUrl: string;
  secret: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  redisUrl?: string;
  dataDir: string;
  trustProxy: boolean;
  /** Search results cached per app instance (0 turns the cache off). */
  searchCacheSize: number;
  /** Where canonical CSVs of published releases are kept as files for fast downloads (null: off). */
  downloadCacheDir: string | null;
  /** Accounts, sessions, tokens and throttling (issue 3). */
  auth: AuthConfig;
  /** Audit chain checkpoints (issue 3). */
  audit: AuditConfig;
  /** CSV import limits (issue 5). */
  import: ImportConfig;
  /** Live sensor streams (issue 8). */
  streams: StreamsConfig;
  /** The publication gate's thresholds (RELEASE_POLICY_FILE; default: the floors of DESIGN.md §2). */
  releasePolicy: GatePolicy;
}

/** Sensor stream ingest, the MQTT subscriber, the release scheduler and the demo simulator. */
export interface StreamsConfig {
  /** mqtt://… broker to subscribe to `plaza/streams/+/+` on; unset: no MQTT ingest. */
  mqttUrl?: string;
  mqttClientId: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** Readings per batch (HTTP request or MQTT message). */
  maxBatch: number;
  /** Bytes of a request body as sent, and after gzip decompression. */
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** ± seconds between a signed timestamp and the server's clock. */
  signatureWindowSeconds: number;
  /** How far in the future a reading's time may be. */
  maxFutureSeconds: number;
  /** Seconds between scheduler ticks; 0 turns automatic releases off. */
  tickSeconds: number;
  /** Feed the demo streams with simulated devices while the server runs. */
  simulate: boolean;
}

/** Limits on what one CSV import may contain; anything larger is refused with a 4xx naming the limit. */
export interface ImportConfig {
  /** Bytes of the file as sent (compressed, if gzip). */
  maxBytes: number;
  /** Bytes after gzip decompression. */
  maxDecompressedBytes: number;
  /** Largest decompressed/compressed ratio tolerated once 256 KiB have been decompressed (gzip bombs). */
  maxCompressionRatio: number;
  maxColumns: number;
  /** Characters in one field. */
  maxFieldBytes: number;
  /** Rows held in memory to infer types and detect personal data before the table is created. */
  sampleRows: number;
}

/** Settings for accounts, sessions, API tokens and rate limits. */
export interface AuthConfig {
  /** argon2id cost: production strength everywhere except NODE_ENV=test. */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /** Requests per minute: anonymous clients (per IP), signed-in users, API tokens. */
  rateLimitAnonymous: number;
  rateLimitUser: number;
  rateLimitToken: number;
  /** Failed sign-ins allowed per account and per IP in 15 minutes. */
  loginMaxPerAccount: number;
  loginMaxPerIp: number;
  /** Key prefix for shared state in Redis. */
  redisPrefix: string;
}

/** Where the audit signing key and checkpoint file live, and how often checkpoints are made. */
export interface AuditConfig {
  signingKeyFile: string;
  checkpointFile: string;
  /** Seconds between scheduled checkpoints; 0 turns the schedule off. */
  checkpointIntervalSeconds: number;
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .refine((v) => /^(postgres(ql)?:\/\/|sqlite:|file:)/.test(v) || v === ':memory:', {
      message: 'must start with postgres://, postgresql://, sqlite: or file:, or be :memory:',
    })
    .optional(),
  BASE_URL: z.url({ message: 'must be an absolute http(s) URL such as https://data.example.gov.uk' }).optional(),
  PLAZA_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'must start with redis:// or rediss://' })
    .optional(),
  PLAZA_DATA_DIR: z.string().min(1).optional(),
  PLAZA_SEARCH_CACHE: z.coerce.number().int().min(0).max(100_000).default(500),
  DOWNLOAD_CACHE_DIR: z.string().min(1).optional(),
  TRUST_PROXY: z.enum(['0', '1', 'true', 'false']).default('0'),
  AUDIT_SIGNING_KEY: z.string().min(1).optional(),
  AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  AUDIT_CHECKPOINT_INTERVAL: z.coerce.number().int().min(0).max(7 * 24 * 3600).default(3600),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(120),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  RATE_LIMIT_ANONYMOUS: z.coerce.number().int().min(1).optional(),
  RATE_LIMIT_USER: z.coerce.number().int().min(1).optional(),
  RATE_LIMIT_TOKEN: z.coerce.number().int().min(1).optional(),
  LOGIN_MAX_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_MAX_PER_IP: z.coerce.number().int().min(1).max(10000).default(20),
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 ** 3),
  IMPORT_MAX_DECOMPRESSED_BYTES: z.coerce.number().int().min(1024).default(2 * 1024 ** 3),
  IMPORT_MAX_COMPRESSION_RATIO: z.coerce.number().int().min(2).max(100000).default(200),
  IMPORT_MAX_COLUMNS: z.coerce.number().int().min(1).max(1500, { message: 'must be at most 1500 (PostgreSQL allows 1600 columns per table)' }).default(1000),
  IMPORT_MAX_FIELD_BYTES: z.coerce.number().int().min(16).max(256 * 1024 ** 2).default(1024 ** 2),
  IMPORT_SAMPLE_ROWS: z.coerce.number().int().min(10).max(100000).default(5000),
  MQTT_URL: z.string().regex(/^mqtts?:\/\//, { message: 'must start with mqtt:// or mqtts://' }).optional(),
  MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'letters, digits, _ and - only' }).default('plaza-ingest'),
  MQTT_USERNAME: z.string().min(1).optional(),
  MQTT_PASSWORD: z.string().min(1).optional(),
  STREAM_MAX_BATCH: z.coerce.number().int().min(1).max(100_000).default(1000),
  STREAM_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 ** 2).default(1024 ** 2),
  STREAM_MAX_DECOMPRESSED_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 ** 2).default(8 * 1024 ** 2),
  STREAM_SIGNATURE_WINDOW: z.coerce.number().int().min(10).max(3600).default(300),
  STREAM_MAX_FUTURE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  STREAM_TICK_SECONDS: z.coerce.number().int().min(0).max(3600).default(15),
  PLAZA_SIMULATE: z.enum(['0', '1', 'true', 'false']).default('0'),
  RELEASE_POLICY_FILE: z.string().min(1).optional(),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, { message: 'letters, digits and : _ . - only' }).default('plaza:'),
});

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { ensureSecret?: boolean } = {}): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.PLAZA_DATA_DIR ?? fromRoot('data'));
  const port = e.PORT;
  const baseUrl = (e.BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  if (e.NODE_ENV === 'production' && !e.PLAZA_SECRET) {
    throw new ConfigError(['PLAZA_SECRET: required when NODE_ENV=production (at least 32 random characters)']);
  }
  const secret = e.PLAZA_SECRET ?? (options.ensureSecret === false ? 'test-secret-'.padEnd(40, 'x') : devSecret(dataDir));
  const releasePolicy = e.RELEASE_POLICY_FILE ? readReleasePolicy(e.RELEASE_POLICY_FILE) : defaultGatePolicy;
  return {
    releasePolicy,
    env: e.NODE_ENV,
    port,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL ?? 'sqlite:' + path.join(dataDir, 'plaza.db'),
    baseUrl,
    secret,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    dataDir,
    trustProxy: e.TRUST_PROXY === '1' || e.TRUST_PROXY === 'true',
    searchCacheSize: e.PLAZA_SEARCH_CACHE,
    downloadCacheDir: e.DOWNLOAD_CACHE_DIR === 'off' ? null : path.resolve(e.DOWNLOAD_CACHE_DIR ?? path.join(dataDir, 'download-cache')),
    auth: {
      // Tests use a cheap argon2id cost so the suite stays fast; every other environment gets
      // OWASP's recommended minimum (19 MiB, 2 passes).
      argon2: e.NODE_ENV === 'test' ? { memoryCost: 1024, timeCost: 1, parallelism: 1 } : { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
      sessionMaxHours: e.SESSION_MAX_HOURS,
      // Tests make many requests from one address; they opt in to limits by setting the variables.
      rateLimitAnonymous: e.RATE_LIMIT_ANONYMOUS ?? (e.NODE_ENV === 'test' ? 1_000_000 : 300),
      rateLimitUser: e.RATE_LIMIT_USER ?? (e.NODE_ENV === 'test' ? 1_000_000 : 600),
      rateLimitToken: e.RATE_LIMIT_TOKEN ?? (e.NODE_ENV === 'test' ? 1_000_000 : 1200),
      loginMaxPerAccount: e.LOGIN_MAX_PER_ACCOUNT,
      loginMaxPerIp: e.LOGIN_MAX_PER_IP,
      redisPrefix: e.REDIS_PREFIX,
    },
    import: {
      maxBytes: e.IMPORT_MAX_BYTES,
      maxDecompressedBytes: e.IMPORT_MAX_DECOMPRESSED_BYTES,
      maxCompressionRatio: e.IMPORT_MAX_COMPRESSION_RATIO,
      maxColumns: e.IMPORT_MAX_COLUMNS,
      maxFieldBytes: e.IMPORT_MAX_FIELD_BYTES,
      sampleRows: e.IMPORT_SAMPLE_ROWS,
    },
    streams: {
      mqttUrl: e.MQTT_URL,
      mqttClientId: e.MQTT_CLIENT_ID,
      mqttUsername: e.MQTT_USERNAME,
      mqttPassword: e.MQTT_PASSWORD,
      maxBatch: e.STREAM_MAX_BATCH,
      maxBodyBytes: e.STREAM_MAX_BODY_BYTES,
      maxDecompressedBytes: e.STREAM_MAX_DECOMPRESSED_BYTES,
      signatureWindowSeconds: e.STREAM_SIGNATURE_WINDOW,
      maxFutureSeconds: e.STREAM_MAX_FUTURE_SECONDS,
      // Tests tick the scheduler themselves.
      tickSeconds: e.NODE_ENV === 'test' && env.STREAM_TICK_SECONDS === undefined ? 0 : e.STREAM_TICK_SECONDS,
      simulate: e.PLAZA_SIMULATE === '1' || e.PLAZA_SIMULATE === 'true',
    },
    audit: {
      signingKeyFile: path.resolve(e.AUDIT_SIGNING_KEY ?? path.join(dataDir, 'audit-signing-key.pem')),
      checkpointFile: path.resolve(e.AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit-checkpoints.jsonl')),
      checkpointIntervalSeconds: e.AUDIT_CHECKPOINT_INTERVAL,
    },
  };
}

/** Reads the deployment's release policy file: JSON the gate's thresholds come from (docs/releases.md). */
function readReleasePolicy(file: string): GatePolicy {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`RELEASE_POLICY_FILE: cannot read ${file} as JSON (${(err as Error).message})`]);
  }
  try {
    return parseGatePolicy(json);
  } catch (err) {
    const issues = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || '(file)'} ${i.message}`).join('; ') : (err as Error).message;
    throw new ConfigError([`RELEASE_POLICY_FILE: ${file}: ${issues}`]);
  }
}

/** In development the secret is generated once and kept under the data folder. */
function devSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
