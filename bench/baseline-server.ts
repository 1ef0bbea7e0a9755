import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { freePort, spawnUntilReady, type ChildHandle } from './child.ts';

/**
 * The HTTP floor: a bare Fastify server (same Fastify, same Node) answering an empty 204. It runs
 * as its own process, started exactly like the real server, so both share the machine the same way.
 */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? '0');
  const app = Fastify();
  app.get('/', async (_req, reply) => reply.code(204).send());
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

export async function startBaselineServer(): Promise<BaselineServer> {
  const port = await freePort();
  const { handle } = await spawnUntilReady({
    command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'bench/baseline-server.ts'), String(port)],
    env: { ...process.env }, cwd: ROOT, ready: /baseline listening on (\d+)/, timeoutMs: 30_000, label: 'baseline server',
  });
  return { url: `http://127.0.0.1:${port}`, handle };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
