import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter, Histogram, LabelValues } from 'prom-client';
import { httpRequestDuration, httpRequests } from './metrics-registry.ts';

type CounterChild = ReturnType<Counter<'method' | 'route' | 'status'>['labels']>;
type HistogramChild = ReturnType<Histogram<'method' | 'route'>['labels']>;

interface RouteInstruments {
  readonly duration: HistogramChild;
  readonly byStatus: Map<number, CounterChild>;
  readonly labels: LabelValues<'method' | 'route'>;
}

/** Label of requests that matched no route: unknown paths must not grow the label set. */
const UNMATCHED = 'unmatched';

/**
 * Records every response's status and duration, by method and route template (`/cloudapi/1.0.0/
 * tokens/:id`, never the raw URL). The labelled children are looked up in nested maps keyed by
 * strings Fastify already holds, so after the first request of a route and status nothing is
 * allocated per request beyond prom-client's own observe().
 */
export function registerHttpMetrics(app: FastifyInstance): void {
  const byMethod = new Map<string, Map<string, RouteInstruments>>();
  const instrumentsFor = (method: string, route: string): RouteInstruments => {
    let byRoute = byMethod.get(method);
    if (!byRoute) byMethod.set(method, (byRoute = new Map()));
    let entry = byRoute.get(route);
    if (!entry) {
      const labels = { method, route };
      entry = { duration: httpRequestDuration.labels(labels), byStatus: new Map(), labels };
      byRoute.set(route, entry);
    }
    return entry;
  };
  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = req.routeOptions.url ?? UNMATCHED;
    const entry = instrumentsFor(req.method, route);
    const status = reply.statusCode;
    let counter = entry.byStatus.get(status);
    if (!counter) {
      counter = httpRequests.labels({ ...entry.labels, status: String(status) });
      entry.byStatus.set(status, counter);
    }
    counter.inc();
    entry.duration.observe(reply.elapsedTime / 1000);
    done();
  });
}
