import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';
import { fromRoot } from './paths';

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
  TRUST_PROXY: z.enum(['0', '1', 'true', 'false']).default('0'),
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
  return {
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
  };
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
