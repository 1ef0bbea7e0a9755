import { readProcStatusKb } from './child.ts';
import { runLoad } from './load.ts';
import type { LoadResult, LoadSpec } from './load-spec.ts';
import { measurePacedLogins, type PacedResult } from './paced-logins.ts';

/**
 * The login measurements of issue 18, against one running server:
 * - peak password logins/s (`POST /cloudapi/1.0.0/sessions`, HTTP Basic, rotating over the
 *   bench users) with 20 concurrent logins, and the server's RSS while they run (VmRSS sampled
 *   every 50 ms, besides the process's lifetime peak VmHWM);
 * - p50/p99 at half that rate, evenly paced (open loop; bench/paced-logins.ts says why not autocannon's
 *   rate mode), and autocannon's rate mode next to it for comparison;
 * - a login storm (the same 20 connections as fast as they go) while grants run at full speed
 *   from a second load generator, next to grants alone measured right before it.
 */
export interface LoginPhaseResult {
  peak: LoadResult;
  rssDuringPeakMb: number | null;
  half: { rate: number; run: LoadResult; paced: PacedResult };
  storm: { grantsAlone: LoadResult; grants: LoadResult; logins: LoadResult };
}

export const LOGIN_CONNECTIONS = 20;

export async function measureLogins(opts: {
  url: string; pid: number; org: string; password: string; users: string[]; grantSpec: LoadSpec;
  durationSec: number; warmupSec: number; halfDurationSec: number; log: (msg: string) => void;
}): Promise<LoginPhaseResult> {
  const { url, pid, log } = opts;
  const loginSpec: LoadSpec = {
    url, method: 'POST', path: '/cloudapi/1.0.0/sessions', connections: LOGIN_CONNECTIONS,
    durationSec: opts.durationSec, warmupSec: opts.warmupSec, headers: { accept: 'application/json;version=37.0' },
    rotate: { kind: 'basicLogin', org: opts.org, password: opts.password, users: opts.users },
  };
  let rssMaxKb = 0;
  const sampler = setInterval(() => { rssMaxKb = Math.max(rssMaxKb, readProcStatusKb(pid, 'VmRSS') ?? 0); }, 50);
  let peak: LoadResult;
  try {
    peak = await runLoad(loginSpec, pid);
  } finally {
    clearInterval(sampler);
  }
  log(`logins (password, argon2id, ${LOGIN_CONNECTIONS} connections): ${peak.okPerSec.toFixed(1)}/s ${JSON.stringify(peak.statusCodes)}; p99 ${peak.latencyUs.p99} µs; RSS up to ${Math.round(rssMaxKb / 1024)} MB${peak.serverCpuUsPerResponse ? `; ${peak.serverCpuUsPerResponse} µs server CPU each` : ''}`);

  const rate = Math.max(1, Math.round(peak.okPerSec / 2));
  const halfRun = await runLoad({ ...loginSpec, overallRate: rate, durationSec: opts.halfDurationSec, warmupSec: 0 }, pid);
  log(`logins at half peak (${rate}/s, autocannon rate mode: bursts of ${LOGIN_CONNECTIONS} each second): p50 ${halfRun.latencyUs.p50} µs p99 ${halfRun.latencyUs.p99} µs ${JSON.stringify(halfRun.statusCodes)}`);
  const paced = await measurePacedLogins({ url, org: opts.org, password: opts.password, users: opts.users, rate, durationSec: opts.halfDurationSec });
  log(`logins at half peak (${rate}/s, evenly paced): p50 ${paced.p50Us} µs p99 ${paced.p99Us} µs ${JSON.stringify(paced.statusCodes)}`);

  const grantsAlone = await runLoad({ ...opts.grantSpec, durationSec: opts.durationSec, warmupSec: 1 }, pid);
  log(`grants alone (before the storm): ${Math.round(grantsAlone.okPerSec)}/s`);
  // Both generators start together; the logins' warm-up matches the grants' so the measured runs overlap.
  const [grants, logins] = await Promise.all([
    runLoad({ ...opts.grantSpec, durationSec: opts.durationSec, warmupSec: 1 }),
    runLoad({ ...loginSpec, warmupSec: 1 }),
  ]);
  log(`login storm: grants ${Math.round(grants.okPerSec)}/s (${((grants.okPerSec / Math.max(1, grantsAlone.okPerSec)) * 100).toFixed(0)} % of alone, p99 ${grants.latencyUs.p99} µs) while logins ran at ${logins.okPerSec.toFixed(1)}/s ${JSON.stringify(logins.statusCodes)}`);
  return { peak, rssDuringPeakMb: rssMaxKb ? Math.round(rssMaxKb / 1024) : null, half: { rate, run: halfRun, paced }, storm: { grantsAlone, grants, logins } };
}
