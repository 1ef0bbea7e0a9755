import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type ConfigKey } from '../../src/config/index.ts';
import { createServer, type RunningServer } from '../../src/server.ts';

export const ADMIN_PASSWORD = 'admin-Passw0rd!';

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts the real composed server on a loopback port (port 0) with a fresh SQLite data dir, or
 * on PostgreSQL when `databaseUrl` is given. scrypt cost is lowered so logins take milliseconds.
 */
export async function startTestServer(overrides: Partial<Record<ConfigKey, unknown>> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-test-'));
  const config = loadConfig({}, {
    host: '127.0.0.1', port: 0, dataDir, adminPassword: ADMIN_PASSWORD, passwordHashCost: 10, logLevel: 'silent',
    rateLimitPerMinute: 1000, ...overrides,
  });
  const server = await createServer(config);
  const url = await server.listen();
  return {
    server, url, dataDir,
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
