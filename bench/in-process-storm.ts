import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createServer } from '../src/server.ts';
import { prepareDataDir, seedBenchData } from './seed.ts';
import { BENCH_ADMIN_PASSWORD } from './start-server.ts';
import { GRANT_HEADERS, grantBody } from './response-shapes.ts';

/**
 * Grants during a login storm, in process (issue 18), alternating two values of
 * OPENDIRECTOR_PASSWORD_HASH_CONCURRENCY round by round so both see the same machine minutes:
 * 10 grant loops alone for 3 s, then the same 10 with 20 login loops for 4 s (`app.inject`, no
 * sockets), on one seeded SQLite file.
 * Usage: npx tsx bench/in-process-storm.ts [rounds=3] [values=1,2]
 */
const rounds = Number(process.argv[2] ?? '3');
const values = (process.argv[3] ?? '1,2').split(',');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-storm-'));
await prepareDataDir(dataDir);
const seed = await seedBenchData(dataDir, { tokens: 1000, users: 200, loadTokens: 1000, totpUsers: 0 });
for (let round = 0; round < rounds; round++) for (const c of values) {
  const server = await createServer(loadConfig({ OPENDIRECTOR_DATA_DIR: dataDir, OPENDIRECTOR_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, OPENDIRECTOR_LOG_LEVEL: 'warn', OPENDIRECTOR_PASSWORD_HASH_CONCURRENCY: c }));
  const app = server.app;
  let stop = false; let grants = 0; let logins = 0; let i = 0;
  const grantLoop = async () => { while (!stop) { const r = await app.inject({ method: 'POST', url: `/oauth/tenant/${seed.org}/token`, headers: { ...GRANT_HEADERS }, payload: grantBody(seed.loadTokens[i++ % 1000]!) }); if (r.statusCode === 200) grants++; } };
  const loginLoop = async () => { while (!stop) { const r = await app.inject({ method: 'POST', url: '/cloudapi/1.0.0/sessions', headers: { authorization: `Basic ${Buffer.from(`${seed.users[i++ % 200]!}@${seed.org}:${seed.password}`).toString('base64')}`, accept: 'application/json;version=37.0' } }); if (r.statusCode === 200) logins++; } };
  // alone
  stop = false; grants = 0; let t0 = Date.now();
  let loops = Array.from({ length: 10 }, grantLoop); await new Promise((r) => setTimeout(r, 3000)); stop = true; await Promise.all(loops);
  const alone = grants / ((Date.now() - t0) / 1000);
  stop = false; grants = 0; logins = 0; t0 = Date.now();
  loops = [...Array.from({ length: 10 }, grantLoop), ...Array.from({ length: 20 }, loginLoop)]; await new Promise((r) => setTimeout(r, 4000)); stop = true; await Promise.all(loops);
  const s = (Date.now() - t0) / 1000;
  console.log(`concurrency ${c}: grants alone ${alone.toFixed(0)}/s; storm: grants ${(grants / s).toFixed(0)}/s (${((grants / s / alone) * 100).toFixed(0)} %), logins ${(logins / s).toFixed(1)}/s; load ${os.loadavg()[0]!.toFixed(1)}`);
  await server.close();
}
fs.rmSync(dataDir, { recursive: true, force: true });
