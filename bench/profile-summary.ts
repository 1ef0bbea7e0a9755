import fs from 'node:fs';
import path from 'node:path';

/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`, which starts the servers with
 * `node --cpu-prof`): the top functions by self time and by inclusive time, and self time per
 * package/area. Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25] [from-to seconds]
 * It prints a per-second busy timeline first; pass e.g. `12-16` to keep only the samples taken
 * from second 12 to 16 of the profile (the load phase, without start-up and idle time).
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(process.argv[3] ?? '25');
const [fromS, toS] = (process.argv[4] ?? '0-1e9').split('-').map(Number) as [number, number];
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const idleIds = new Set(prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
const selfUs = new Map<number, number>();
const busyPerSecond: number[] = [];
let t = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i]!;
  const dt = prof.timeDeltas[i] ?? 0;
  t += dt;
  const sec = Math.floor(t / 1e6);
  if (!idleIds.has(id)) busyPerSecond[sec] = (busyPerSecond[sec] ?? 0) + dt;
  if (t / 1e6 < fromS || t / 1e6 >= toS) continue;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
}
process.stdout.write(`busy % per second: ${Array.from(busyPerSecond, (v, i) => `${i}:${Math.round((v ?? 0) / 1e4)}`).join(' ')}\n`);
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const shortUrl = (u: string) => {
  const i = u.indexOf('node_modules/');
  if (i >= 0) return u.slice(i + 'node_modules/'.length);
  const j = u.indexOf('/src/');
  if (j >= 0) return u.slice(j + 1);
  return u.replace(/^file:\/\//, '') || '(native)';
};
const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const area = (n: Node) => {
  const u = n.callFrame.url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return nm[1]!;
  const src = /\/src\/([^/]+)\//.exec(u);
  if (src) return `src/${src[1]!}`;
  if (u.startsWith('node:')) return u;
  return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native/other)';
};

const self = new Map<string, number>();
const areas = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  self.set(key(n), (self.get(key(n)) ?? 0) + us);
  areas.set(area(n), (areas.get(area(n)) ?? 0) + us);
  // Inclusive: charge every distinct frame on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id, depth = 0; cur !== undefined && depth < 1000; cur = parent.get(cur), depth++) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + us);
  }
}
const fmt = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([k, us]) => `${(100 * us / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`).join('\n');
process.stdout.write(`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled\n\n== self time by area ==\n${fmt(areas, 20)}\n\n== self time ==\n${fmt(self, top)}\n\n== inclusive time ==\n${fmt(incl, top)}\n`);
