import { seededInProcessServer } from './in-process-server.ts';
import { GRANT_HEADERS, grantBody } from './response-shapes.ts';

/**
 * In-process CPU per request (issue 7), for quick A/B of hot-path changes on a noisy machine:
 * the real server (createServer, default configuration, SQLite) answers `app.inject` requests,
 * 10 in flight at a time, and the process's CPU time (user + system) is divided by the requests.
 * No sockets: it measures our code and the framework, not the kernel's HTTP path. The real
 * figure comes from `npm run bench`.
 * Usage: npx tsx bench/in-process.ts [requests=3000] [rounds=3] [baseline,grant,org,tokens,login]
 * Profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/in-process.ts 5000 2 grant
 */
const requests = Number(process.argv[2] ?? '3000');
const rounds = Number(process.argv[3] ?? '3');
/** Optional comma-separated subset: baseline,grant,org,tokens,login. */
const only = process.argv[4]?.split(',');
const wanted = (key: string) => !only || only.includes(key);
const { server, seed, close } = await seededInProcessServer({ prefix: 'od-inproc-', listen: false });
const app = server.app;

async function grant(i: number): Promise<string> {
  const res = await app.inject({
    method: 'POST', url: `/oauth/tenant/${seed.org}/token`, headers: { ...GRANT_HEADERS },
    payload: grantBody(seed.loadTokens[i % seed.loadTokens.length]!),
  });
  if (res.statusCode !== 200) throw new Error(`grant ${res.statusCode} ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}
const access: string[] = [];
for (let i = 0; i < 200; i++) access.push(await grant(i));

async function measure(name: string, one: (i: number) => Promise<unknown>): Promise<void> {
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 300; i++) await one(i); // warm-up
    const cpu = process.cpuUsage();
    for (let i = 0; i < requests; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => one(i + k)));
    const used = process.cpuUsage(cpu);
    per.push((used.user + used.system) / requests);
  }
  per.sort((a, b) => a - b);
  process.stdout.write(`${name.padEnd(34)} ${per.map((v) => v.toFixed(0)).join(' / ')} µs CPU per request (median ${per[Math.floor(per.length / 2)]!.toFixed(0)})\n`);
}

const expectOk = (res: { statusCode: number; body: string }) => {
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body.slice(0, 200)}`);
};
if (wanted('baseline')) await measure('baseline GET /api/versions', async () => expectOk(await app.inject({ method: 'GET', url: '/api/versions' })));
if (wanted('grant')) await measure('grant (refresh_token)', grant);
if (wanted('org')) await measure('GET /api/org', async (i) => expectOk(await app.inject({
  method: 'GET', url: '/api/org', headers: { authorization: `Bearer ${access[i % access.length]}`, accept: 'application/*+xml;version=37.0' },
})));
if (wanted('tokens')) await measure('GET /cloudapi/1.0.0/tokens/', async (i) => expectOk(await app.inject({
  method: 'GET', url: '/cloudapi/1.0.0/tokens/', headers: { authorization: `Bearer ${access[i % access.length]}`, accept: 'application/json;version=37.0' },
})));
if (wanted('login')) await measure('POST /cloudapi/1.0.0/sessions', async (i) => expectOk(await app.inject({
  method: 'POST', url: '/cloudapi/1.0.0/sessions', headers: {
    authorization: `Basic ${Buffer.from(`${seed.users[i % seed.users.length]!}@${seed.org}:${seed.password}`).toString('base64')}`, accept: 'application/json;version=37.0',
  },
})));
await close();
