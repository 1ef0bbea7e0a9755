import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../src/common/clock.ts';
import { loadConfig, type ConfigKey } from '../../src/config/index.ts';
import { createServer, type RunningServer } from '../../src/server.ts';
import type { Engine } from './database-engines.ts';
import { sharedPostgres } from './embedded-postgres.ts';

export const ADMIN_PASSWORD = 'admin-Passw0rd!';

/** The password hashing of test servers (`passwordHashCost: 10` below: argon2id at 1 MiB, ~1 ms). */
export const TEST_PASSWORD_POLICY = { memoryKib: 1024, iterations: 2 } as const;

/** Key-encryption key of PostgreSQL-backed test servers (required there, issue 6). */
export const TEST_KEY_ENCRYPTION_KEY = 'test-key-encryption-key-0123456789abcdef';

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The engine of servers started without an explicit one: SQLite, unless the environment says
 * `OD_TEST_ENGINE=postgres` (runs any HTTP suite against PostgreSQL: `OD_TEST_ENGINE=postgres
 * npx vitest run test/api`). Not an OPENDIRECTOR_* name: loadConfig refuses unknown ones.
 */
export function defaultTestEngine(): Engine {
  return process.env.OD_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * Starts the real composed server on a loopback port (port 0) with a fresh SQLite data dir, or
 * on PostgreSQL when `databaseUrl` is given or the engine is `postgres` (a fresh database on the
 * shared embedded cluster). Password hashing is cheapened so logins take a millisecond. `logger`
 * replaces the configured one (e.g. a trace-level logger writing to a capture stream, issue 8);
 * `clock` replaces the system clock (e.g. one a test moves forward to end a lock-out).
 */
export async function startTestServer(
  overrides: Partial<Record<ConfigKey, unknown>> = {},
  opts: { engine?: Engine; logger?: Logger; clock?: Clock } = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-test-'));
  const engine = opts.engine ?? defaultTestEngine();
  const databaseUrl = overrides.databaseUrl ?? (engine === 'postgres' ? await (await sharedPostgres()).createDatabase() : undefined);
  const config = loadConfig({}, {
    host: '127.0.0.1', port: 0, dataDir, adminPassword: ADMIN_PASSWORD, passwordHashCost: 10, logLevel: 'silent',
    rateLimitPerMinute: 1000,
    ...(databaseUrl ? { databaseUrl, keyEncryptionKey: TEST_KEY_ENCRYPTION_KEY } : {}),
    ...overrides,
  });
  const server = await createServer(config, { ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
  const url = await server.listen();
  return {
    server, url, dataDir,
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
