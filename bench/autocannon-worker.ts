import fs from 'node:fs';
import autocannon from 'autocannon';
import { Secret, TOTP } from 'otpauth';
import type { LoadResult, LoadSpec } from './load-spec.ts';

/**
 * The load generator process: runs autocannon against one endpoint with the spec in argv[2]
 * (warm-up run, then the measured run) and prints `RESULT <json>` on stdout.
 */
type Req = autocannon.Request;

const PERIOD_MS = 30_000;

/**
 * Fresh TOTP codes for many logins: each user's code may be used once per 30 s step (replays are
 * refused), and the server accepts the previous, current and next step. Each user's steps are
 * used in increasing order; near a step boundary the previous step is skipped so a code cannot
 * go stale in flight. Returns null when every user has used up the window.
 */
function totpRotation(users: { username: string; secret: string }[]) {
  const state = users.map((u) => ({ username: u.username, totp: new TOTP({ secret: Secret.fromBase32(u.secret), period: 30 }), lastStep: 0 }));
  let next = 0;
  let exhausted = 0;
  return {
    exhausted: () => exhausted,
    take(): { username: string; code: string } | null {
      const now = Date.now();
      const cur = Math.floor(now / PERIOD_MS);
      const msLeft = (cur + 1) * PERIOD_MS - now;
      const lowest = msLeft > 3000 ? cur - 1 : cur;
      for (let tries = 0; tries < state.length; tries++) {
        const u = state[next]!;
        next = (next + 1) % state.length;
        const step = Math.max(lowest, u.lastStep + 1);
        if (step > cur + 1) continue;
        u.lastStep = step;
        return { username: u.username, code: u.totp.generate({ timestamp: step * PERIOD_MS + 1 }) };
      }
      exhausted++;
      return null;
    },
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

type TotpRotation = ReturnType<typeof totpRotation>;

/** One autocannon run. The TOTP rotation is shared by the warm-up and the measured run (codes are single-use). */
async function runOnce(spec: LoadSpec, durationSec: number, record: boolean, totp: TotpRotation | undefined): Promise<LoadResult> {
  let counter = 0;
  const rotate = spec.rotate;
  const setupRequest = rotate
    ? (req: Req): Req => {
      const i = counter++;
      if (rotate.kind === 'body') return { ...req, body: rotate.values[i % rotate.values.length] };
      if (rotate.kind === 'header') return { ...req, headers: { ...req.headers, [rotate.name]: rotate.values[i % rotate.values.length]! } };
      if (rotate.kind === 'basicLogin') {
        const basic = Buffer.from(`${rotate.users[i % rotate.users.length]!}@${rotate.org}:${rotate.password}`).toString('base64');
        return { ...req, headers: { ...req.headers, authorization: `Basic ${basic}` } };
      }
      const next = totp!.take();
      // Out of fresh codes: send the login without a code (refused, counted as non-2xx, reported).
      if (!next) return req;
      const basic = Buffer.from(`${next.username}@${rotate.org}:${rotate.password}`).toString('base64');
      return { ...req, headers: { ...req.headers, authorization: `Basic ${basic}`, 'x-opendirector-otp': next.code } };
    }
    : undefined;
  // Exact latencies of successful responses (bounded: a run cannot exceed this many samples).
  const MAX_SAMPLES = 4_000_000;
  const samples = new Float64Array(record ? MAX_SAMPLES : 0);
  let n = 0;
  const opts: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    duration: durationSec,
    pipelining: 1,
    timeout: 30,
    requests: [{ method: spec.method, path: spec.path, headers: spec.headers, ...(spec.body !== undefined ? { body: spec.body } : {}), ...(setupRequest ? { setupRequest } : {}) }],
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  };

  const instance = autocannon(opts);
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (record && statusCode >= 200 && statusCode < 300 && n < MAX_SAMPLES) samples[n++] = responseTime;
  });
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance.once('done', resolve);
    instance.once('error', reject);
  });
  const lat = samples.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += lat[i]!;
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (v as { count: number }).count;
  const total = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  const ok = result['2xx'];
  const duration = result.duration || durationSec;
  const us = (ms: number) => Math.round(ms * 1000);
  return {
    okPerSec: ok / duration,
    responsesPerSec: total / duration,
    durationSec: duration,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyUs: { p50: us(percentile(lat, 50)), p90: us(percentile(lat, 90)), p99: us(percentile(lat, 99)), max: us(n ? lat[n - 1]! : 0), mean: us(n ? sum / n : 0) },
    warmupResponses: 0,
    ...(totp ? { exhausted: totp.exhausted() } : {}),
  };
}

const spec = JSON.parse(fs.readFileSync(process.argv[2] ?? '', 'utf8')) as LoadSpec;
const totp = spec.rotate?.kind === 'totpLogin' ? totpRotation(spec.rotate.users) : undefined;
const warm = spec.warmupSec > 0 ? await runOnce(spec, spec.warmupSec, false, totp) : undefined;
const result = await runOnce(spec, spec.durationSec, true, totp);
result.warmupResponses = warm ? Math.round(warm.responsesPerSec * warm.durationSec) : 0;
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
