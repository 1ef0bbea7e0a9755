import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBaselineServer } from './baseline-server.ts';
import { captureShapes, exchangeOnce, GRANT_HEADERS, grantBody } from './response-shapes.ts';
import { runLoad } from './load.ts';
import type { LoadResult, LoadSpec } from './load-spec.ts';
import { prepareDataDir, seedBenchData, type SeedResult } from './seed.ts';
import { ROOT, startRealServer } from './start-server.ts';
import { fdatasyncLatencyMs } from './child.ts';
import { renderTable, type Row } from './report.ts';
import { LOGIN_CONNECTIONS, measureLogins, type LoginPhaseResult } from './login-phase.ts';
import { peerGrantBody, startPeerServer } from './peer-oidc-provider.ts';
import { dbUsage, expiredAuditRows, seedOldAuditEvents } from './retention-phase.ts';

/**
 * `npm run bench [-- --quick] [-- --skip-million] [-- --profile] [-- --only grants,bearer,...] [-- --management]`
 *   `[-- --server-node-args=--max-semi-space-size=64]` (the `=` is required: the value starts with a dash)
 *   `[-- --server-env OPENDIRECTOR_PASSWORD_HASH_CONCURRENCY=1]` (settings of the real servers, `K=V,K=V`)
 *
 * Starts a bare Fastify baseline and the real server (and a second real server holding 1,000,000
 * tokens) as their own processes, drives each with autocannon from another process, and reports
 * every figure as a ratio to the baseline measured in the same run (issue 7). Writes
 * bench/results/latest.json.
 */
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'skip-million': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** Extra node flags for the real servers only (not the baseline), for A/B of V8 settings. */
    'server-node-args': { type: 'string' },
    /** Extra OPENDIRECTOR_* settings for the real servers, `K=V,K=V` (A/B of a setting). */
    'server-env': { type: 'string' },
    only: { type: 'string' },
    /** Also open the management listener (metrics collected per request): A/B of the metrics' cost. */
    management: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const PHASES = ['grants', 'bearer', 'latency', 'login', 'retention', 'peer', 'million'] as const;
type Phase = (typeof PHASES)[number];
const only = args.only ? new Set(args.only.split(',').map((s) => s.trim())) : undefined;
const quick = args.quick ?? false;
const runs = (p: Phase) => (only ? only.has(p) : true) && !(p === 'million' && (quick || args['skip-million']));

/** Durations in seconds. */
const P = quick
  ? { duration: 3, warmup: 1, halfDuration: 2, halfWarmup: 0, rounds: 1, loginDuration: 4, loginWarmup: 1, endBaseline: false }
  : { duration: 10, warmup: 3, halfDuration: 8, halfWarmup: 1, rounds: 2, loginDuration: 10, loginWarmup: 2, endBaseline: true };
const CONNECTIONS = 10;
const SEED_1K = { tokens: 1000, users: 200, loadTokens: 1000, totpUsers: 400 };
const SEED_1M = { tokens: 1_000_000, users: 200, loadTokens: 1000, totpUsers: 0 };
const BEARER_USERS = 200;
/** Refresh tokens minted in the peer (≥ 200 distinct, as many as ours rotate over). */
const PEER_TOKENS = 1000;
/** The second peer comparison's connections. */
const WIDE_CONNECTIONS = 50;
/** Expired audit events seeded per second of the retention run: more than retention deletes meanwhile. */
const RETENTION_BACKLOG_PER_SECOND = 30_000;

const RESULTS_DIR = path.join(ROOT, 'bench/results');
const SERVER_ENV: Record<string, string> = Object.fromEntries((args['server-env'] ?? '').split(',').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]));
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown', nproc: os.availableParallelism(), totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version, os: `${os.type()} ${os.release()} ${os.arch()}`, loadAvgAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

const grantSpec = (url: string, seed: SeedResult): LoadSpec => ({
  url, method: 'POST', path: `/oauth/tenant/${seed.org}/token`, connections: CONNECTIONS, durationSec: P.duration, warmupSec: P.warmup,
  headers: { ...GRANT_HEADERS },
  rotate: { kind: 'body', values: seed.loadTokens.map(grantBody) },
});

const BEARER_ENDPOINTS = [
  { key: 'apiOrg', label: 'GET /api/org', path: '/api/org', accept: 'application/*+xml;version=37.0' },
  { key: 'tokensList', label: 'GET /cloudapi/1.0.0/tokens/', path: '/cloudapi/1.0.0/tokens/', accept: 'application/json;version=37.0' },
] as const;

const bearerSpec = (url: string, ep: (typeof BEARER_ENDPOINTS)[number], accessTokens: string[]): LoadSpec => ({
  url, method: 'GET', path: ep.path, connections: CONNECTIONS, durationSec: P.duration, warmupSec: P.warmup,
  headers: { accept: ep.accept }, rotate: { kind: 'header', name: 'authorization', values: accessTokens.map((t) => `Bearer ${t}`) },
});

async function probe(url: string, p: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  const res = await fetch(`${url}${p}`, { headers });
  const body = await res.arrayBuffer();
  return { status: res.status, bytes: body.byteLength };
}

async function seededServer(label: string, seedOpts: typeof SEED_1K, nodeArgs: string[], extra: { env?: Record<string, string>; beforeStart?: (dataDir: string) => void } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `od-bench-${label}-`));
  log(`${label}: preparing ${dataDir} (migrations, bootstrap) and seeding ${seedOpts.tokens.toLocaleString('en')} tokens`);
  await prepareDataDir(dataDir);
  const seed = await seedBenchData(dataDir, seedOpts);
  extra.beforeStart?.(dataDir);
  log(`${label}: seeded in ${seed.seconds.toFixed(1)} s; starting the server`);
  const server = await startRealServer({ dataDir, nodeArgs, env: { ...SERVER_ENV, ...(args.management ? { OPENDIRECTOR_MANAGEMENT_PORT: '0' } : {}), ...extra.env } });
  log(`${label}: server pid ${server.handle.pid} at ${server.url} (${server.compiled ? 'compiled build, dist/server' : 'sources through tsx: dist/server missing or older than src'})`);
  return { dataDir, seed, server };
}

const cpuNote = (r: LoadResult) => (r.serverCpuUsPerResponse === undefined ? '' : `; server ${r.serverCpuUsPerResponse} µs CPU/response, ${r.serverCores} cores busy`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
/** Mean server CPU µs per response over runs that measured it, or null. */
const meanCpu = (rs: LoadResult[]) => {
  const xs = rs.flatMap((r) => (r.serverCpuUsPerResponse === undefined ? [] : [r.serverCpuUsPerResponse]));
  return xs.length ? Math.round(mean(xs)) : null;
};
const summary = (r: LoadResult) => ({
  okPerSec: Math.round(r.okPerSec), p50Us: r.latencyUs.p50, p99Us: r.latencyUs.p99, non2xx: r.non2xx, errors: r.errors, statusCodes: r.statusCodes,
  serverCpuUsPerResponse: r.serverCpuUsPerResponse ?? null, serverCores: r.serverCores ?? null,
});

async function main(): Promise<void> {
  const started = Date.now();
  const m = machine();
  log(`machine: ${m.cpuModel}, ${m.nproc} cores, ${m.totalMemMb} MB, node ${m.node}; load average ${m.loadAvgAtStart.join(' ')}`);
  const profileDir = path.join(RESULTS_DIR, 'profiles');
  const nodeArgs = [
    ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(args['server-node-args']?.split(/\s+/).filter(Boolean) ?? []),
  ];
  const out: Record<string, unknown> = { mode: quick ? 'quick' : 'full', machine: m, settings: { ...P, connections: CONNECTIONS, loginConnections: LOGIN_CONNECTIONS } };
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const a = await seededServer('1k', SEED_1K, nodeArgs);
    cleanups.push(async () => { await a.server.handle.stop(); fs.rmSync(a.dataDir, { recursive: true, force: true }); });
    const shapesFile = path.join(a.dataDir, 'response-shapes.json');
    fs.writeFileSync(shapesFile, JSON.stringify((await captureShapes(a.server.url, a.seed.org, a.seed.loadTokens[0]!, BEARER_ENDPOINTS)).shapes));
    const baseline = await startBaselineServer(shapesFile);
    cleanups.push(() => baseline.handle.stop());
    const baseSpec: LoadSpec = { url: baseline.url, method: 'GET', path: '/', headers: {}, connections: CONNECTIONS, durationSec: P.duration, warmupSec: P.warmup };
    /** The same load against the baseline server replaying the endpoint's captured response. */
    const floorSpec = (spec: LoadSpec, shape: string): LoadSpec => ({ ...spec, url: baseline.url, path: `/shape/${shape}` });
    const floors: Record<string, LoadResult[]> = {};
    const measureFloor = async (key: string, spec: LoadSpec, label: string) => {
      const r = await runLoad(floorSpec(spec, key), baseline.handle.pid);
      (floors[key] ??= []).push(r);
      log(`floor for ${label} (bare Fastify replaying its response): ${Math.round(r.okPerSec)}/s${cpuNote(r)}`);
    };
    let b: Awaited<ReturnType<typeof seededServer>> | undefined;
    if (runs('million')) {
      b = await seededServer('1m', SEED_1M, nodeArgs);
      const bb = b;
      cleanups.push(async () => { await bb.server.handle.stop(); fs.rmSync(bb.dataDir, { recursive: true, force: true }); });
    }

    const fsyncs: { at: string; p50: number; p90: number; max: number }[] = [];
    const probeDisk = (at: string) => {
      const f = fdatasyncLatencyMs(a.dataDir);
      fsyncs.push({ at, ...f });
      log(`disk (${at}): fdatasync of 4 KiB p50 ${f.p50} ms, p90 ${f.p90} ms, max ${f.max} ms`);
    };
    probeDisk('start');
    log('baseline: bare Fastify, empty 204');
    const baselineRuns: LoadResult[] = [await runLoad(baseSpec, baseline.handle.pid)];
    log(`baseline: ${Math.round(baselineRuns[0]!.okPerSec)} req/s${cpuNote(baselineRuns[0]!)}`);

    const grants1k: LoadResult[] = [];
    const grants1m: LoadResult[] = [];
    const usageBefore = dbUsage(a.dataDir);
    if (runs('grants') || runs('million')) {
      for (let round = 0; round < P.rounds; round++) {
        if (runs('grants') || b) {
          grants1k.push(await runLoad(grantSpec(a.server.url, a.seed), a.server.handle.pid));
          log(`grants (1k tokens) round ${round + 1}: ${Math.round(grants1k.at(-1)!.okPerSec)}/s ${JSON.stringify(grants1k.at(-1)!.statusCodes)}${cpuNote(grants1k.at(-1)!)}`);
          if (runs('grants')) await measureFloor('grant', grantSpec(a.server.url, a.seed), 'grants');
        }
        if (b) {
          grants1m.push(await runLoad(grantSpec(b.server.url, b.seed), b.server.handle.pid));
          log(`grants (1M tokens) round ${round + 1}: ${Math.round(grants1m.at(-1)!.okPerSec)}/s ${JSON.stringify(grants1m.at(-1)!.statusCodes)}${cpuNote(grants1m.at(-1)!)}`);
        }
      }
    }

    // Database growth per grant: pages in use and audit rows before and after the grant runs.
    const usageAfter = dbUsage(a.dataDir);
    const grantsCounted = usageAfter.auditRows - usageBefore.auditRows;
    const growth = grantsCounted > 1000 ? {
      grants: grantsCounted, bytes: usageAfter.usedBytes - usageBefore.usedBytes,
      bytesPerGrant: Math.round((usageAfter.usedBytes - usageBefore.usedBytes) / grantsCounted),
      mbPerMillionGrants: Math.round(((usageAfter.usedBytes - usageBefore.usedBytes) / grantsCounted) * 1e6 / 2 ** 20),
    } : null;
    if (growth) log(`database growth: ${growth.bytes.toLocaleString('en')} bytes for ${growth.grants.toLocaleString('en')} grants (audit rows) = ${growth.bytesPerGrant} B/grant, ${growth.mbPerMillionGrants} MB per million grants`);

    const bearer: Record<string, { probe: { status: number; bytes: number }; peaks: LoadResult[] }> = {};
    let accessTokens: string[] = [];
    if (runs('bearer') || runs('latency')) {
      // One access token per user: the per-user rights cache is exercised, not one hot entry.
      for (let i = 0; i < Math.min(BEARER_USERS, a.seed.loadTokens.length); i++) accessTokens.push(await exchangeOnce(a.server.url, a.seed.org, a.seed.loadTokens[i]!));
      const measured: (typeof BEARER_ENDPOINTS)[number][] = [];
      for (const ep of BEARER_ENDPOINTS) {
        const pr = await probe(a.server.url, ep.path, { accept: ep.accept, authorization: `Bearer ${accessTokens[0]!}` });
        bearer[ep.key] = { probe: pr, peaks: [] };
        if (pr.status < 200 || pr.status >= 300) log(`${ep.label}: answers ${pr.status} (not measured)`);
        else measured.push(ep);
      }
      // Rounds alternate the endpoints (and their floors), like the grant rounds, so a slow
      // minute of the shared machine does not land on one endpoint only.
      for (let round = 0; round < P.rounds; round++) {
        for (const ep of measured) {
          const peak = await runLoad(bearerSpec(a.server.url, ep, accessTokens), a.server.handle.pid);
          bearer[ep.key]!.peaks.push(peak);
          log(`${ep.label} round ${round + 1}: ${Math.round(peak.okPerSec)} req/s ${JSON.stringify(peak.statusCodes)}${cpuNote(peak)}`);
          if (runs('bearer')) await measureFloor(ep.key, bearerSpec(a.server.url, ep, accessTokens), ep.label);
        }
      }
    }
    const grantPeak = grants1k.length ? mean(grants1k.map((r) => r.okPerSec)) : undefined;

    // Latency at half of each endpoint's measured peak, next to its floor's (bare Fastify replaying
    // the same response to the same requests) at the same rate (issue 18; issue 7 compared with the empty 204).
    const halfRate: Record<string, { rate: number; ours: LoadResult; baseline: LoadResult }> = {};
    if (runs('latency')) {
      const targets: { key: string; shape: string; rate: number; spec: LoadSpec }[] = [];
      if (grantPeak) targets.push({ key: 'grants', shape: 'grant', rate: grantPeak / 2, spec: grantSpec(a.server.url, a.seed) });
      for (const ep of BEARER_ENDPOINTS) {
        const peaks = bearer[ep.key]?.peaks ?? [];
        if (peaks.length) targets.push({ key: ep.key, shape: ep.key, rate: mean(peaks.map((r) => r.okPerSec)) / 2, spec: bearerSpec(a.server.url, ep, accessTokens) });
      }
      for (const t of targets) {
        const rate = Math.max(1, Math.round(t.rate));
        const ours = await runLoad({ ...t.spec, overallRate: rate, durationSec: P.halfDuration, warmupSec: P.halfWarmup }, a.server.handle.pid);
        const base = await runLoad({ ...floorSpec(t.spec, t.shape), overallRate: rate, durationSec: P.halfDuration, warmupSec: P.halfWarmup }, baseline.handle.pid);
        halfRate[t.key] = { rate, ours, baseline: base };
        log(`half rate ${t.key} @${rate}/s: p50 ${ours.latencyUs.p50} µs p99 ${ours.latencyUs.p99} µs; its floor p50 ${base.latencyUs.p50} µs p99 ${base.latencyUs.p99} µs`);
      }
    }
    const rssAfterTokenLoadKb = a.server.handle.peakRssKb();
    const rss1mKb = b?.server.handle.peakRssKb() ?? null;

    let login: LoginPhaseResult | undefined;
    if (runs('login')) {
      log(`login: password only (argon2id, server defaults), ${LOGIN_CONNECTIONS} connections, ${a.seed.users.length} users rotating`);
      login = await measureLogins({
        url: a.server.url, pid: a.server.handle.pid, org: a.seed.org, password: a.seed.password, users: a.seed.users,
        grantSpec: grantSpec(a.server.url, a.seed), durationSec: P.loginDuration, warmupSec: P.loginWarmup, halfDurationSec: P.halfDuration, log,
      });
    }
    const rssAfterLoginKb = a.server.handle.peakRssKb();

    // Peer: oidc-provider's refresh grant, interleaved round by round with ours (issue 18).
    let peer: { ours: LoadResult[]; peer: LoadResult[]; tokens: number; wide?: { ours: LoadResult; peer: LoadResult } } | undefined;
    if (runs('peer')) {
      const tokensFile = path.join(a.dataDir, 'peer-tokens.json');
      const ps = await startPeerServer(PEER_TOKENS, tokensFile);
      cleanups.push(() => ps.handle.stop());
      log(`peer: oidc-provider at ${ps.url} (pid ${ps.handle.pid}), ${ps.refreshTokens.length} refresh tokens, public client, rotation off, Map store`);
      const peerSpec: LoadSpec = {
        url: ps.url, method: 'POST', path: '/token', connections: CONNECTIONS, durationSec: P.duration, warmupSec: P.warmup,
        headers: { ...GRANT_HEADERS }, rotate: { kind: 'body', values: ps.refreshTokens.map((t) => peerGrantBody(ps.clientId, t)) },
      };
      peer = { ours: [], peer: [], tokens: ps.refreshTokens.length };
      for (let round = 0; round < P.rounds; round++) {
        probeDisk(`peer round ${round + 1}`);
        const o = await runLoad(grantSpec(a.server.url, a.seed), a.server.handle.pid);
        peer.ours.push(o);
        log(`peer round ${round + 1}: ours ${Math.round(o.okPerSec)}/s ${JSON.stringify(o.statusCodes)}${cpuNote(o)}`);
        const q = await runLoad(peerSpec, ps.handle.pid);
        peer.peer.push(q);
        log(`peer round ${round + 1}: oidc-provider ${Math.round(q.okPerSec)}/s ${JSON.stringify(q.statusCodes)}${cpuNote(q)}`);
      }
      // The same pair with 50 connections: the group commit shares one fsync among more grants,
      // the peer has nothing to wait for (throughput bound by the disk's latency vs by the CPU).
      const wide = (spec: LoadSpec): LoadSpec => ({ ...spec, connections: WIDE_CONNECTIONS });
      const o50 = await runLoad(wide(grantSpec(a.server.url, a.seed)), a.server.handle.pid);
      const q50 = await runLoad(wide(peerSpec), ps.handle.pid);
      peer.wide = { ours: o50, peer: q50 };
      log(`peer, ${WIDE_CONNECTIONS} connections: ours ${Math.round(o50.okPerSec)}/s${cpuNote(o50)}; oidc-provider ${Math.round(q50.okPerSec)}/s${cpuNote(q50)}`);
      await ps.handle.stop();
    }

    // Retention: a third server whose file holds a backlog of expired audit events. Its first
    // retention pass starts RETENTION_DELAY seconds after start-up: grants are measured on it
    // once before (warm, nothing deleted yet) and once while the pass deletes (issue 18).
    let retention: { ours: LoadResult; during: LoadResult; seeded: number; deletedDuring: number; remainingOld: number } | undefined;
    if (runs('retention')) {
      const seeded = Math.round(RETENTION_BACKLOG_PER_SECOND * (P.duration + P.warmup + 8));
      const delaySec = P.duration + P.warmup + 12;
      const c = await seededServer('retention', { ...SEED_1K, totpUsers: 0 }, nodeArgs, {
        env: { OPENDIRECTOR_AUDIT_RETENTION_INTERVAL_SECONDS: String(delaySec) },
        beforeStart: (dir) => { log(`retention: seeding ${seeded.toLocaleString('en')} audit events aged 120 days`); seedOldAuditEvents(dir, seeded, 120); },
      });
      const startedAt = Date.now();
      cleanups.push(async () => { await c.server.handle.stop(); fs.rmSync(c.dataDir, { recursive: true, force: true }); });
      const ours = await runLoad(grantSpec(c.server.url, c.seed), c.server.handle.pid);
      const expiredBefore = expiredAuditRows(c.dataDir, 90);
      if (expiredBefore < seeded) log(`retention: the first pass started before the run without it ended (${seeded - expiredBefore} rows deleted)`);
      // Until the first pass has visibly started (bounded).
      for (let i = 0; i < 600 && expiredAuditRows(c.dataDir, 90) >= expiredBefore; i++) await new Promise((res) => setTimeout(res, Math.max(100, startedAt + delaySec * 1000 - Date.now())));
      const before = dbUsage(c.dataDir).auditRows;
      const during = await runLoad(grantSpec(c.server.url, c.seed), c.server.handle.pid);
      const after = dbUsage(c.dataDir).auditRows;
      const granted = Math.round(during.okPerSec * during.durationSec) + during.warmupResponses;
      const remainingOld = expiredAuditRows(c.dataDir, 90);
      retention = { ours, during, seeded, deletedDuring: before - after + granted, remainingOld };
      if (remainingOld === 0) log('retention: the backlog ran out before the run ended (the figure mixes time with and without retention)');
      log(`retention: grants ${Math.round(during.okPerSec)}/s while retention deleted ~${retention.deletedDuring.toLocaleString('en')} rows (p99 ${during.latencyUs.p99} µs${cpuNote(during)}); same server before its first pass ${Math.round(ours.okPerSec)}/s (p99 ${ours.latencyUs.p99} µs${cpuNote(ours)}); ${remainingOld.toLocaleString('en')} expired rows left`);
      await c.server.handle.stop();
    }

    probeDisk('end');
    if (P.endBaseline) {
      baselineRuns.push(await runLoad(baseSpec, baseline.handle.pid));
      log(`baseline (end): ${Math.round(baselineRuns[1]!.okPerSec)} req/s`);
    }
    const baselineRate = mean(baselineRuns.map((r) => r.okPerSec));

    const oursFor: Record<string, LoadResult[]> = { grant: grants1k, ...Object.fromEntries(Object.entries(bearer).map(([k, v]) => [k, v.peaks])) };
    const grant1mRate = grants1m.length ? mean(grants1m.map((r) => r.okPerSec)) : undefined;
    const results = {
      baseline: { okPerSec: Math.round(baselineRate), cpuUs: meanCpu(baselineRuns), runs: baselineRuns.map(summary) },
      grants1k: grantPeak === undefined ? null : { okPerSec: Math.round(grantPeak), ratio: grantPeak / baselineRate, cpuUs: meanCpu(grants1k), runs: grants1k.map(summary) },
      bearer: Object.fromEntries(Object.entries(bearer).map(([k, v]) => [k, {
        probe: v.probe, ...(v.peaks.length ? {
          okPerSec: Math.round(mean(v.peaks.map((r) => r.okPerSec))), ratio: mean(v.peaks.map((r) => r.okPerSec)) / baselineRate,
          cpuUs: meanCpu(v.peaks), runs: v.peaks.map(summary),
        } : {}),
      }])),
      halfRate: Object.fromEntries(Object.entries(halfRate).map(([k, v]) => [k, {
        rate: v.rate, ours: { p50Us: v.ours.latencyUs.p50, p99Us: v.ours.latencyUs.p99, non2xx: v.ours.non2xx },
        baseline: { p50Us: v.baseline.latencyUs.p50, p99Us: v.baseline.latencyUs.p99 }, p99Ratio: v.ours.latencyUs.p99 / Math.max(1, v.baseline.latencyUs.p99),
      }])),
      login: login ? {
        okPerSec: Number(login.peak.okPerSec.toFixed(1)), cpuUs: login.peak.serverCpuUsPerResponse ?? null, run: summary(login.peak), rssDuringMb: login.rssDuringPeakMb,
        half: { rate: login.half.rate, p50Us: login.half.paced.p50Us, p99Us: login.half.paced.p99Us, paced: login.half.paced, burst: { p50Us: login.half.run.latencyUs.p50, p99Us: login.half.run.latencyUs.p99 }, run: summary(login.half.run) },
        storm: {
          grantsAlone: Math.round(login.storm.grantsAlone.okPerSec), grants: Math.round(login.storm.grants.okPerSec), logins: Number(login.storm.logins.okPerSec.toFixed(1)),
          grantsP99Us: login.storm.grants.latencyUs.p99, runs: { grantsAlone: summary(login.storm.grantsAlone), grants: summary(login.storm.grants), logins: summary(login.storm.logins) },
        },
      } : null,
      grants1m: grant1mRate === undefined ? null : {
        okPerSec: Math.round(grant1mRate), ratioToBaseline: grant1mRate / baselineRate, cpuUs: meanCpu(grants1m),
        ratioTo1k: grantPeak ? grant1mRate / grantPeak : null, runs: grants1m.map(summary), seedSeconds: b?.seed.seconds,
      },
      floors: Object.fromEntries(Object.entries(floors).map(([k, rs]) => {
        const rate = mean(rs.map((r) => r.okPerSec));
        const ours = oursFor[k]?.length ? mean(oursFor[k]!.map((r) => r.okPerSec)) : null;
        return [k, { okPerSec: Math.round(rate), ratio: rate / baselineRate, cpuUs: meanCpu(rs), oursToFloor: ours === null ? null : ours / rate, runs: rs.map(summary) }];
      })),
      peer: peer ? {
        tokens: peer.tokens, ours: Math.round(mean(peer.ours.map((x) => x.okPerSec))), peer: Math.round(mean(peer.peer.map((x) => x.okPerSec))),
        ratio: mean(peer.ours.map((x) => x.okPerSec)) / Math.max(1, mean(peer.peer.map((x) => x.okPerSec))),
        oursCpuUs: meanCpu(peer.ours), peerCpuUs: meanCpu(peer.peer),
        oursP99Us: Math.round(mean(peer.ours.map((x) => x.latencyUs.p99))), peerP99Us: Math.round(mean(peer.peer.map((x) => x.latencyUs.p99))),
        runs: { ours: peer.ours.map(summary), peer: peer.peer.map(summary) },
        wide: peer.wide ? {
          connections: WIDE_CONNECTIONS, ours: Math.round(peer.wide.ours.okPerSec), peer: Math.round(peer.wide.peer.okPerSec),
          ratio: peer.wide.ours.okPerSec / Math.max(1, peer.wide.peer.okPerSec), oursCpuUs: peer.wide.ours.serverCpuUsPerResponse ?? null, peerCpuUs: peer.wide.peer.serverCpuUsPerResponse ?? null,
          runs: { ours: summary(peer.wide.ours), peer: summary(peer.wide.peer) },
        } : null,
      } : null,
      growth,
      fsyncMs: fsyncs,
      retention: retention ? {
        seeded: retention.seeded, deletedDuring: retention.deletedDuring, expiredLeftAtEnd: retention.remainingOld, grantsDuring: Math.round(retention.during.okPerSec), grantsWithout: Math.round(retention.ours.okPerSec),
        ratio: retention.during.okPerSec / Math.max(1, retention.ours.okPerSec), p99DuringUs: retention.during.latencyUs.p99, p99WithoutUs: retention.ours.latencyUs.p99,
        runs: { during: summary(retention.during), without: summary(retention.ours) },
      } : null,
      peakRssMb: {
        server1kAfterTokenLoad: rssAfterTokenLoadKb === null ? null : Math.round(rssAfterTokenLoadKb / 1024),
        server1m: rss1mKb === null ? null : Math.round(rss1mKb / 1024),
        server1kAfterLogins: rssAfterLoginKb === null ? null : Math.round(rssAfterLoginKb / 1024),
      },
    };
    Object.assign(out, { results, loadAvgAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))), totalSeconds: Math.round((Date.now() - started) / 1000) });
    const rows = tableRows(results, m.nproc);
    process.stdout.write(`\n${renderTable(rows)}\n`);
    process.stdout.write(`Machine: ${m.cpuModel}, ${m.nproc} cores, ${m.totalMemMb} MB RAM, node ${m.node}, ${m.os}; load average start ${m.loadAvgAtStart.join(' ')}, end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = args.out ?? path.join(RESULTS_DIR, 'latest.json');
    fs.writeFileSync(file, `${JSON.stringify({ ...out, table: rows }, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, file)} (${Math.round((Date.now() - started) / 1000)} s)`);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

type Results = {
  baseline: { okPerSec: number; cpuUs: number | null };
  grants1k: { okPerSec: number; ratio: number; cpuUs: number | null } | null;
  bearer: Record<string, { probe: { status: number }; okPerSec?: number; ratio?: number; cpuUs?: number | null }>;
  halfRate: Record<string, { rate: number; ours: { p50Us: number; p99Us: number }; baseline: { p50Us: number; p99Us: number }; p99Ratio: number }>;
  login: {
    okPerSec: number; cpuUs: number | null; rssDuringMb: number | null; half: { rate: number; p50Us: number; p99Us: number; burst: { p50Us: number; p99Us: number } };
    storm: { grantsAlone: number; grants: number; logins: number; grantsP99Us: number };
  } | null;
  grants1m: { okPerSec: number; ratioTo1k: number | null; cpuUs: number | null } | null;
  floors: Record<string, { okPerSec: number; ratio: number; cpuUs: number | null; oursToFloor: number | null }>;
  peakRssMb: { server1kAfterTokenLoad: number | null; server1m: number | null; server1kAfterLogins: number | null };
  peer: {
    tokens: number; ours: number; peer: number; ratio: number; oursCpuUs: number | null; peerCpuUs: number | null; oursP99Us: number; peerP99Us: number;
    wide: { connections: number; ours: number; peer: number; ratio: number; oursCpuUs: number | null; peerCpuUs: number | null } | null;
  } | null;
  growth: { grants: number; bytesPerGrant: number; mbPerMillionGrants: number } | null;
  fsyncMs: { at: string; p50: number; p90: number; max: number }[];
  retention: { seeded: number; deletedDuring: number; grantsDuring: number; grantsWithout: number; ratio: number; p99DuringUs: number; p99WithoutUs: number } | null;
};

function tableRows(r: Results, nproc: number): Row[] {
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  const cpu = (us: number | null | undefined) => (us === null || us === undefined ? '' : ` (${us} µs server CPU each)`);
  const rows: Row[] = [{ measure: 'Baseline: bare Fastify, empty 204', value: `${r.baseline.okPerSec} req/s${cpu(r.baseline.cpuUs)}`, ratio: '100 %', target: '', met: '' }];
  // Issue 7's targets against the empty 204 (50 % / 80 %) are retired (issue 18): the targets are against each endpoint's floor.
  if (r.grants1k) rows.push({ measure: 'Refresh-token grants (1,000 tokens stored)', value: `${r.grants1k.okPerSec} /s${cpu(r.grants1k.cpuUs)}`, ratio: pct(r.grants1k.ratio), target: '(info)', met: '' });
  for (const ep of BEARER_ENDPOINTS) {
    const x = r.bearer[ep.key];
    if (!x) continue;
    if (x.okPerSec === undefined || x.ratio === undefined) rows.push({ measure: `Bearer ${ep.label}`, value: `answers ${x.probe.status}`, ratio: 'n/a', target: '(info)', met: 'not measured' });
    else rows.push({ measure: `Bearer ${ep.label}`, value: `${x.okPerSec} req/s${cpu(x.cpuUs)}`, ratio: pct(x.ratio), target: '(info)', met: '' });
  }
  const labels: Record<string, string> = { grants: 'grants', grant: 'grant', apiOrg: 'GET /api/org', tokensList: 'GET /cloudapi/1.0.0/tokens/' };
  const floorTargets: Record<string, number> = { grant: 0.4, apiOrg: 0.7, tokensList: 0.6 };
  for (const [k, f] of Object.entries(r.floors)) {
    const goal = floorTargets[k];
    rows.push({
      measure: `Floor: bare Fastify replaying the ${labels[k] ?? k} response (same request)`, value: `${f.okPerSec} req/s${cpu(f.cpuUs)}`,
      ratio: `${pct(f.ratio)}${f.oursToFloor === null ? '' : `; ours = ${pct(f.oursToFloor)} of this floor`}`,
      target: goal === undefined ? '(info)' : `ours ≥ ${pct(goal)}`, met: goal === undefined || f.oursToFloor === null ? '' : f.oursToFloor >= goal ? 'yes' : 'no',
    });
  }
  for (const [k, v] of Object.entries(r.halfRate)) {
    rows.push({
      measure: `p50 / p99 at half peak (${v.rate}/s): ${labels[k] ?? k}`, value: `${ms(v.ours.p50Us)} / ${ms(v.ours.p99Us)}`,
      ratio: `its floor ${ms(v.baseline.p50Us)} / ${ms(v.baseline.p99Us)} → p99 ${v.p99Ratio.toFixed(2)}×`, target: 'p99 ≤ 2× floor', met: v.p99Ratio <= 2 ? 'yes' : 'no',
    });
  }
  if (r.login) {
    const l = r.login;
    rows.push({ measure: `Password logins (argon2id m=19 MiB t=2, ${LOGIN_CONNECTIONS} concurrent)`, value: `${l.okPerSec} /s${cpu(l.cpuUs)}`, ratio: `${(l.okPerSec / nproc).toFixed(1)} /s per core`, target: '≥ 100 /s', met: l.okPerSec >= 100 ? 'yes' : 'no' });
    rows.push({ measure: `p50 / p99 of logins at half peak (${l.half.rate}/s, evenly paced)`, value: `${ms(l.half.p50Us)} / ${ms(l.half.p99Us)}`, ratio: `autocannon's rate mode (a burst each second): ${ms(l.half.burst.p50Us)} / ${ms(l.half.burst.p99Us)}`, target: 'p99 ≤ 50 ms', met: l.half.p99Us <= 50_000 ? 'yes' : 'no' });
    if (l.rssDuringMb !== null) rows.push({ measure: `Server RSS during ${LOGIN_CONNECTIONS} concurrent logins (sampled)`, value: `${l.rssDuringMb} MB`, ratio: '', target: '≤ 200 MB', met: l.rssDuringMb <= 200 ? 'yes' : 'no' });
    rows.push({ measure: 'Grants during a login storm (second load generator)', value: `${l.storm.grants} /s (p99 ${ms(l.storm.grantsP99Us)}) while ${l.storm.logins} logins/s`, ratio: `${pct(l.storm.grants / Math.max(1, l.storm.grantsAlone))} of grants alone (${l.storm.grantsAlone} /s)`, target: '(info)', met: '' });
  }
  if (r.peer) {
    const q = r.peer;
    rows.push({ measure: `Peer: oidc-provider refresh grants (public client, no rotation, Map store, ${q.tokens} tokens)`, value: `${q.peer} /s${cpu(q.peerCpuUs)}`, ratio: `p99 ${ms(q.peerP99Us)}`, target: '(info)', met: '' });
    rows.push({ measure: 'Ours, interleaved with the peer (same load)', value: `${q.ours} /s${cpu(q.oursCpuUs)}`, ratio: `${q.ratio.toFixed(2)}× the peer; p99 ${ms(q.oursP99Us)}`, target: '≥ 1.5×', met: q.ratio >= 1.5 ? 'yes' : 'no' });
    if (q.oursCpuUs && q.peerCpuUs) rows.push({ measure: 'Server CPU per grant: the peer\'s over ours', value: `${q.peerCpuUs} / ${q.oursCpuUs} µs`, ratio: `${(q.peerCpuUs / q.oursCpuUs).toFixed(2)}× (CPU-bound capacity ratio)`, target: '(info)', met: '' });
    if (q.wide) rows.push({ measure: `Ours / peer with ${q.wide.connections} connections (one round each)`, value: `${q.wide.ours} /s${cpu(q.wide.oursCpuUs)} / ${q.wide.peer} /s${cpu(q.wide.peerCpuUs)}`, ratio: `${q.wide.ratio.toFixed(2)}×`, target: '(info)', met: '' });
  }
  if (r.fsyncMs.length) rows.push({ measure: 'Disk: fdatasync of 4 KiB in the data folder (what each group commit waits for)', value: r.fsyncMs.map((f) => `${f.at} ${f.p50}/${f.p90}/${f.max} ms`).join('; '), ratio: 'p50/p90/max', target: '(info)', met: '' });
  if (r.growth) rows.push({ measure: `Database growth per grant (measured over ${r.growth.grants.toLocaleString('en')} grants)`, value: `${r.growth.bytesPerGrant} B`, ratio: `${r.growth.mbPerMillionGrants.toLocaleString('en')} MB per million grants`, target: '(info)', met: '' });
  if (r.retention) {
    const x = r.retention;
    rows.push({ measure: `Grants while audit retention deletes a backlog (${x.seeded.toLocaleString('en')} expired events seeded)`, value: `${x.grantsDuring} /s (p99 ${ms(x.p99DuringUs)}); ~${x.deletedDuring.toLocaleString('en')} rows deleted meanwhile`, ratio: `${pct(x.ratio)} of grants without retention (${x.grantsWithout} /s, p99 ${ms(x.p99WithoutUs)})`, target: '(info)', met: '' });
  }
  if (r.grants1m) rows.push({ measure: 'Refresh-token grants (1,000,000 tokens stored)', value: `${r.grants1m.okPerSec} /s${cpu(r.grants1m.cpuUs)}`, ratio: r.grants1m.ratioTo1k === null ? '' : `${pct(r.grants1m.ratioTo1k)} of the 1k figure`, target: '≥ 90 % of 1k', met: r.grants1m.ratioTo1k !== null && r.grants1m.ratioTo1k >= 0.9 ? 'yes' : 'no' });
  const rss = (label: string, v: number | null) => { if (v !== null) rows.push({ measure: label, value: `${v} MB`, ratio: '', target: '≤ 200 MB', met: v <= 200 ? 'yes' : 'no' }); };
  rss('Server peak RSS, 1,000 tokens (grants + bearer load)', r.peakRssMb.server1kAfterTokenLoad);
  rss('Server peak RSS, 1,000,000 tokens (grant load)', r.peakRssMb.server1m);
  if (r.login && r.peakRssMb.server1kAfterLogins !== null) rows.push({ measure: 'Server peak RSS (VmHWM) after every load incl. logins', value: `${r.peakRssMb.server1kAfterLogins} MB`, ratio: '', target: '≤ 200 MB', met: r.peakRssMb.server1kAfterLogins <= 200 ? 'yes' : 'no' });
  return rows;
}

await main();
