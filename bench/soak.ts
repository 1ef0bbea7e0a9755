import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { readProcStatusKb } from './child.ts';
import { BENCH_ADMIN_PASSWORD, startRealServer } from './start-server.ts';

/**
 * `npm run soak [-- --minutes 10] [-- --connections 8] [-- --peak-seconds 15] [-- --tokens 20]`
 *
 * Issue 8: the real server (`opendirector serve`, its own process, default configuration) under a
 * mixed load — API-token exchanges at the token endpoint and bearer `GET /api/org` with the access
 * tokens they return — first as fast as it goes (the measured peak), then for `--minutes` at half
 * that rate. Reports the server's RSS at the start, every minute and at the end, so a leak shows
 * as a steady climb. Exits 1 if any request failed with a 5xx or a transport error.
 * Not part of `npm test`.
 */
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    'peak-seconds': { type: 'string', default: '15' },
    tokens: { type: 'string', default: '20' },
  },
});
const num = (v: string | undefined, name: string, max: number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`--${name} must be a number between 0 and ${max}`);
  return n;
};
const MINUTES = num(args.minutes, 'minutes', 24 * 60);
const CONNECTIONS = Math.round(num(args.connections, 'connections', 1000));
const PEAK_SECONDS = Math.round(num(args['peak-seconds'], 'peak-seconds', 600));
const TOKENS = Math.round(num(args.tokens, 'tokens', 10_000));
const WARMUP_SECONDS = 5;

const log = (msg: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const mb = (kb: number | null) => (kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

async function call(url: string, method: string, p: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url + p, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Provider login, then `count` API tokens (register + one-shot mint) and one access token. */
async function seed(url: string, count: number): Promise<{ apiTokens: string[]; accessToken: string }> {
  const basic = `Basic ${Buffer.from(`administrator@System:${BENCH_ADMIN_PASSWORD}`).toString('base64')}`;
  const login = await call(url, 'POST', '/cloudapi/1.0.0/sessions/provider', { authorization: basic, accept: 'application/json;version=37.0' });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const session = login.headers.get('x-vmware-vcloud-access-token') as string;
  const apiTokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const reg = await call(url, 'POST', '/oauth/provider/register', { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, JSON.stringify({ client_name: `soak-${i}` }));
    if (reg.status !== 200) throw new Error(`register failed: ${reg.status} ${reg.text}`);
    const clientId = (JSON.parse(reg.text) as { client_id: string }).client_id;
    const mint = await call(url, 'POST', '/oauth/provider/token', FORM,
      new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: clientId }).toString());
    if (mint.status !== 200) throw new Error(`mint failed: ${mint.status} ${mint.text}`);
    apiTokens.push((JSON.parse(mint.text) as { refresh_token: string }).refresh_token);
  }
  const exchanged = await call(url, 'POST', '/oauth/provider/token', FORM, `grant_type=refresh_token&refresh_token=${apiTokens[0] ?? ''}`);
  if (exchanged.status !== 200) throw new Error(`exchange failed: ${exchanged.status} ${exchanged.text}`);
  const accessToken = (JSON.parse(exchanged.text) as { access_token: string }).access_token;
  const org = await call(url, 'GET', '/api/org', { authorization: `Bearer ${accessToken}`, accept: 'application/*+xml;version=36.0' });
  if (org.status !== 200) throw new Error(`GET /api/org failed: ${org.status} ${org.text.slice(0, 300)}`);
  return { apiTokens, accessToken };
}

interface Tally { responses: number; ok: number; status5xx: number; otherNon2xx: number }
const emptyTally = (): Tally => ({ responses: 0, ok: 0, status5xx: 0, otherNon2xx: 0 });

/** One autocannon run of the mixed load; `onResponse` sees every status. */
async function runMixed(url: string, seeded: { apiTokens: string[]; accessToken: string }, durationSec: number, overallRate: number | undefined, onResponse: (status: number) => void): Promise<autocannon.Result> {
  let n = 0;
  const bodies = seeded.apiTokens.map((t) => `grant_type=refresh_token&refresh_token=${t}`);
  const instance = autocannon({
    url, connections: CONNECTIONS, duration: durationSec, pipelining: 1, timeout: 30,
    ...(overallRate ? { overallRate } : {}),
    // Each connection alternates: one exchange (a different API token each time), one bearer read.
    requests: [
      { method: 'POST', path: '/oauth/provider/token', headers: FORM, setupRequest: (req) => ({ ...req, body: bodies[n++ % bodies.length] as string }) },
      { method: 'GET', path: '/api/org', headers: { authorization: `Bearer ${seeded.accessToken}`, accept: 'application/*+xml;version=36.0' } },
    ],
  });
  instance.on('response', (_client: unknown, status: number) => onResponse(status));
  return new Promise((resolve, reject) => {
    instance.once('done', resolve);
    instance.once('error', reject);
  });
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-soak-'));
const server = await startRealServer({ dataDir });
let exitCode = 0;
try {
  const pid = server.handle.pid;
  log(`server pid ${pid} on ${server.url}; seeding ${TOKENS} API tokens`);
  const seeded = await seed(server.url, TOKENS);

  await runMixed(server.url, seeded, WARMUP_SECONDS, undefined, () => undefined);
  const peakTally = emptyTally();
  const peak = await runMixed(server.url, seeded, PEAK_SECONDS, undefined, (s) => {
    peakTally.responses++;
    if (s >= 200 && s < 300) peakTally.ok++;
  });
  const peakRps = peakTally.ok / (peak.duration || PEAK_SECONDS);
  const rate = Math.max(1, Math.floor(peakRps / 2));
  log(`measured peak: ${peakRps.toFixed(0)} req/s (mixed exchange + GET /api/org, ${CONNECTIONS} connections); soaking at ${rate} req/s for ${MINUTES} min`);

  const rssStartKb = readProcStatusKb(pid, 'VmRSS');
  log(`RSS at start: ${mb(rssStartKb)}`);
  const total = emptyTally();
  let minute = emptyTally();
  const samples: { minute: number; rssKb: number | null; responses: number; status5xx: number }[] = [];
  let m = 0;
  const timer = setInterval(() => {
    m++;
    const rssKb = readProcStatusKb(pid, 'VmRSS');
    samples.push({ minute: m, rssKb, responses: minute.responses, status5xx: minute.status5xx });
    log(`minute ${m}: RSS ${mb(rssKb)}, ${minute.responses} responses (${(minute.responses / 60).toFixed(0)}/s), ${minute.status5xx} 5xx, ${minute.otherNon2xx} other non-2xx`);
    minute = emptyTally();
  }, 60_000);
  const soak = await runMixed(server.url, seeded, Math.round(MINUTES * 60), rate, (s) => {
    for (const t of [total, minute]) {
      t.responses++;
      if (s >= 200 && s < 300) t.ok++;
      else if (s >= 500) t.status5xx++;
      else t.otherNon2xx++;
    }
  });
  clearInterval(timer);
  const rssEndKb = readProcStatusKb(pid, 'VmRSS');
  const peakRssKb = readProcStatusKb(pid, 'VmHWM');
  log(`RSS at end: ${mb(rssEndKb)} (start ${mb(rssStartKb)}, high-water mark ${mb(peakRssKb)})`);
  log(`${total.responses} responses, ${total.ok} 2xx, ${total.status5xx} 5xx, ${total.otherNon2xx} other non-2xx, ${soak.errors} errors, ${soak.timeouts} timeouts`);
  const summary = {
    minutes: MINUTES, connections: CONNECTIONS, peakRps: Math.round(peakRps), soakRate: rate,
    rssStartKb, rssEndKb, peakRssKb, samples, ...total, errors: soak.errors, timeouts: soak.timeouts,
  };
  process.stdout.write(`SOAK ${JSON.stringify(summary)}\n`);
  if (total.status5xx > 0 || soak.errors > 0) exitCode = 1;
} finally {
  await server.handle.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
