import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startBaselineServer, type ResponseShape } from './baseline-server.ts';
import { freePort, spawnUntilReady } from './child.ts';
import { runLoad } from './load.ts';
import type { LoadSpec } from './load-spec.ts';
import { seededInProcessServer } from './in-process-server.ts';
import { captureShapes, GRANT_HEADERS, grantBody } from './response-shapes.ts';

/**
 * How fast can any Node HTTP server answer our endpoints' exact requests and responses? (issue 7)
 * Captures one real grant, `GET /api/org` and `GET …/tokens/` response from the real server, then
 * measures, with the bench's load generator: bare Fastify's empty 204 (the bench baseline), bare
 * Fastify replaying each captured response, and a raw `node:http` server (no framework at all)
 * replaying the same bytes. Each server is its own process; runs alternate, `rounds` times.
 * Usage: npx tsx bench/http-floors.ts [seconds=5] [rounds=2]
 */
const seconds = Number(process.argv[2] ?? '5');
const rounds = Number(process.argv[3] ?? '2');

if (process.argv[2] === '--raw-server') {
  // Child mode: a raw node:http server replaying the shapes in argv[4] on port argv[3].
  const shapes = JSON.parse(fs.readFileSync(process.argv[4]!, 'utf8')) as Record<string, ResponseShape>;
  const bodies = new Map(Object.entries(shapes).map(([k, s]) => [`/shape/${k}`, { ...s, bytes: Buffer.from(s.body, 'utf8') }]));
  http.createServer((req, res) => {
    const shape = bodies.get(req.url ?? '');
    const answer = () => {
      if (!shape) { res.writeHead(404).end(); return; }
      res.writeHead(shape.status, { ...shape.headers, 'content-length': String(shape.bytes.length) }).end(shape.bytes);
    };
    if (req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => { body += c; });
      req.on('end', answer);
    } else {
      answer();
    }
  }).listen(Number(process.argv[3]), '127.0.0.1', () => process.stdout.write(`raw listening on ${process.argv[3]}\n`));
} else {
  await main();
}

async function main(): Promise<void> {
  const { server, seed, close } = await seededInProcessServer({ prefix: 'od-floors-', listen: true });
  const endpoints = [
    { key: 'apiOrg', path: '/api/org', accept: 'application/*+xml;version=37.0' },
    { key: 'tokensList', path: '/cloudapi/1.0.0/tokens/', accept: 'application/json;version=37.0' },
  ];
  const { shapes, accessToken: access } = await captureShapes(server.baseUrl(), seed.org, seed.loadTokens[0]!, endpoints);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-floors-shapes-'));
  await close();
  const shapesFile = path.join(dataDir, 'shapes.json');
  fs.writeFileSync(shapesFile, JSON.stringify(shapes));
  const fastify = await startBaselineServer(shapesFile);
  const rawPort = await freePort();
  const raw = await spawnUntilReady({
    command: process.execPath, args: ['--import', 'tsx', path.resolve(import.meta.dirname, 'http-floors.ts'), '--raw-server', String(rawPort), shapesFile],
    env: { ...process.env }, cwd: process.cwd(), ready: /raw listening on (\d+)/, timeoutMs: 30_000, label: 'raw node:http server',
  });
  const rawUrl = `http://127.0.0.1:${rawPort}`;
  const base = { connections: 10, durationSec: seconds, warmupSec: 1 };
  const specs: Record<string, (u: string) => LoadSpec> = {
    'empty 204': (u) => ({ ...base, url: u, method: 'GET', path: '/', headers: {} }),
    grant: (u) => ({ ...base, url: u, method: 'POST', path: '/shape/grant', headers: { ...GRANT_HEADERS }, rotate: { kind: 'body', values: seed.loadTokens.map(grantBody) } }),
    apiOrg: (u) => ({ ...base, url: u, method: 'GET', path: '/shape/apiOrg', headers: { accept: 'application/*+xml;version=37.0', authorization: `Bearer ${access}` } }),
    tokensList: (u) => ({ ...base, url: u, method: 'GET', path: '/shape/tokensList', headers: { accept: 'application/json;version=37.0', authorization: `Bearer ${access}` } }),
  };
  const results: Record<string, { fastify: number[]; raw: number[]; fastifyCpu: number[]; rawCpu: number[] }> = {};
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [name, spec] of Object.entries(specs)) {
        const row = (results[name] ??= { fastify: [], raw: [], fastifyCpu: [], rawCpu: [] });
        const f = await runLoad(spec(fastify.url), fastify.handle.pid);
        row.fastify.push(f.okPerSec); row.fastifyCpu.push(f.serverCpuUsPerResponse ?? NaN);
        if (name === 'empty 204') continue;
        const w = await runLoad(spec(rawUrl), raw.handle.pid);
        row.raw.push(w.okPerSec); row.rawCpu.push(w.serverCpuUsPerResponse ?? NaN);
      }
    }
  } finally {
    await fastify.handle.stop();
    await raw.handle.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const baseline = mean(results['empty 204']!.fastify);
  process.stdout.write(`\n| Response | Fastify replay | % of Fastify 204 | raw node:http replay | % of Fastify 204 |\n|---|---|---|---|---|\n`);
  for (const [name, row] of Object.entries(results)) {
    const f = mean(row.fastify);
    const cell = (rate: number, cpu: number[]) => `${Math.round(rate)}/s (${Math.round(mean(cpu))} µs CPU)`;
    const rawCell = row.raw.length ? `${cell(mean(row.raw), row.rawCpu)} | ${((mean(row.raw) / baseline) * 100).toFixed(0)} %` : '— | —';
    process.stdout.write(`| ${name} | ${cell(f, row.fastifyCpu)} | ${((f / baseline) * 100).toFixed(0)} % | ${rawCell} |\n`);
  }
}
