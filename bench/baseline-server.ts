import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { freePort, spawnUntilReady, type ChildHandle } from './child.ts';

/**
 * A response of the real server captured once (status, headers, body), which the baseline server
 * replays as is at `/shape/<name>`: the HTTP cost of a response of exactly that size and those
 * headers (and, for a POST, of reading the same form body), with none of our work behind it.
 */
export interface ResponseShape {
  method: 'GET' | 'POST';
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The HTTP floor: a bare Fastify server (same Fastify, same Node) answering an empty 204. It runs
 * as its own process, started exactly like the real server, so both share the machine the same way.
 * Given a file of response shapes, it also serves each one (see ResponseShape).
 */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? '0');
  const shapesFile = process.argv[3];
  const app = Fastify();
  app.get('/', async (_req, reply) => reply.code(204).send());
  if (shapesFile) {
    // The form body is read as a string, as the real server's parser does; nothing parses it further.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    const shapes = JSON.parse(fs.readFileSync(shapesFile, 'utf8')) as Record<string, ResponseShape>;
    for (const [name, shape] of Object.entries(shapes)) {
      const body = Buffer.from(shape.body, 'utf8');
      app.route({ method: shape.method, url: `/shape/${name}`, handler: async (_req, reply) => reply.code(shape.status).headers(shape.headers).send(body) });
    }
  }
  await app.listen({ host: '127.0.0.1', port });
  process.stdout.write(`baseline listening on ${port}\n`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export interface BaselineServer {
  readonly url: string;
  readonly handle: ChildHandle;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function startBaselineServer(shapesFile?: string): Promise<BaselineServer> {
  const port = await freePort();
  const { handle } = await spawnUntilReady({
    command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'bench/baseline-server.ts'), String(port), ...(shapesFile ? [shapesFile] : [])],
    env: { ...process.env }, cwd: ROOT, ready: /baseline listening on (\d+)/, timeoutMs: 30_000, label: 'baseline server',
  });
  return { url: `http://127.0.0.1:${port}`, handle };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
