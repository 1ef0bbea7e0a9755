import inspector from 'node:inspector/promises';
import { seededInProcessServer } from './in-process-server.ts';
import { runLoad } from './load.ts';
import { exchangeOnce, GRANT_HEADERS, grantBody } from './response-shapes.ts';
import type { LoadSpec } from './load-spec.ts';

/**
 * Where the hot paths allocate (issue 7): the real server (createServer, default configuration,
 * SQLite) listens in this process, the bench's load generator drives it from another one for 2 s
 * warm-up + 5 s, and V8's sampling heap profiler records every allocation, including objects
 * already collected. Prints bytes allocated per response and the top allocating functions.
 * Usage: npx tsx bench/alloc-profile.ts [grant|org|tokens]
 */
const kind = process.argv[2] ?? 'grant';
if (!['grant', 'org', 'tokens'].includes(kind)) throw new Error(`usage: alloc-profile.ts [grant|org|tokens], not ${kind}`);
const { server, seed, close } = await seededInProcessServer({ prefix: 'od-alloc-', listen: true });
const url = server.baseUrl();
let spec: LoadSpec;
if (kind === 'grant') {
  spec = { url, method: 'POST', path: `/oauth/tenant/${seed.org}/token`, headers: { ...GRANT_HEADERS }, connections: 10, durationSec: 5, warmupSec: 2, rotate: { kind: 'body', values: seed.loadTokens.map(grantBody) } };
} else {
  const access: string[] = [];
  for (let i = 0; i < 200; i++) access.push(await exchangeOnce(url, seed.org, seed.loadTokens[i]!));
  const p = kind === 'org' ? '/api/org' : '/cloudapi/1.0.0/tokens/';
  spec = { url, method: 'GET', path: p, headers: { accept: kind === 'org' ? 'application/*+xml;version=37.0' : 'application/json;version=37.0' }, connections: 10, durationSec: 5, warmupSec: 2, rotate: { kind: 'header', name: 'authorization', values: access.map((a) => `Bearer ${a}`) } };
}
const session = new inspector.Session();
session.connect();
// Node 20's typings lack the two include* flags; V8 11.3 honours them (without them only live objects are sampled).
await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as { samplingInterval: number });
const res = await runLoad(spec);
const { profile } = await session.post('HeapProfiler.stopSampling');
const total = res.warmupResponses + res.ok;
console.log(kind, 'responses', total, res.statusCodes);
// aggregate self size by function
const agg = new Map<string, number>();
let sum = 0;
const walk = (n: { selfSize: number; callFrame: { functionName: string; url: string; lineNumber: number }; children: unknown[] }): void => {
  const self = n.selfSize as number;
  sum += self;
  const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace('file:///work/main/', '')}:${n.callFrame.lineNumber}`;
  agg.set(k, (agg.get(k) ?? 0) + self);
  for (const c of n.children) walk(c as Parameters<typeof walk>[0]);
};
walk(profile.head);
console.log(`allocated ≈ ${(sum / total / 1024).toFixed(1)} KB per response`);
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(v / total).toFixed(0).padStart(7)} B  ${k}`);
await close();
