import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createServer } from '../src/server.ts';
import { prepareDataDir, seedBenchData, type SeedResult } from './seed.ts';
import { BENCH_ADMIN_PASSWORD } from './start-server.ts';

/**
 * The real server (createServer, default configuration, SQLite) inside the calling process, on a
 * freshly seeded data folder (1,000 tokens, 200 users, all 1,000 tokens usable for load), for the
 * bench's in-process tools. `listen` also opens a loopback port (`server.baseUrl()`).
 * `close()` stops the server and removes the folder.
 */
export async function seededInProcessServer(opts: { prefix: string; listen: boolean }): Promise<{
  server: Awaited<ReturnType<typeof createServer>>;
  seed: SeedResult;
  close(): Promise<void>;
}> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  await prepareDataDir(dataDir);
  const seed = await seedBenchData(dataDir, { tokens: 1000, users: 200, loadTokens: 1000, totpUsers: 0 });
  const server = await createServer(loadConfig({
    OPENDIRECTOR_DATA_DIR: dataDir, OPENDIRECTOR_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, OPENDIRECTOR_LOG_LEVEL: 'warn',
    ...(opts.listen ? { OPENDIRECTOR_PORT: '0' } : {}),
  }));
  if (opts.listen) await server.listen();
  else await server.bootstrapSystemOrg();
  return {
    server, seed,
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
