import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectProcessMetrics, metricsRegistry } from './metrics-registry.ts';

export interface ManagementServer {
  readonly app: FastifyInstance;
  /** Listens on host:port; resolves to the listener's URL (the port resolved when 0). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The management listener (issue 19, as Keycloak's management port): `GET /metrics` in the
 * Prometheus text format and the health probes, on their own address and port, so a scraper
 * or an orchestrator never needs the public port and the public port never shows metrics.
 * Plain HTTP without authentication: it binds to loopback unless told otherwise.
 *
 * `registerProbes` adds the same health routes the public port serves (api/health-routes.ts),
 * registered by the caller so this module needs nothing from the API layer.
 */
export function createManagementServer(opts: {
  host: string;
  port: number;
  logger: Logger;
  registerProbes: (app: FastifyInstance) => void;
}): ManagementServer {
  collectProcessMetrics();
  const app = Fastify({ loggerInstance: opts.logger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance;
  app.get('/metrics', async (_req, reply) => {
    const text = await metricsRegistry.metrics();
    return reply.header('content-type', metricsRegistry.contentType).header('cache-control', 'no-store').send(text);
  });
  opts.registerProbes(app);
  return {
    app,
    async listen() {
      await app.listen({ host: opts.host, port: opts.port });
      const { port } = app.server.address() as AddressInfo;
      const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
      return `http://${host}:${port}`;
    },
    close: () => app.close(),
  };
}
