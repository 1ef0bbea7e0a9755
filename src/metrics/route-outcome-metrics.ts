import type { Counter } from 'prom-client';
import { grants, logins, rateLimitRefusals } from './metrics-registry.ts';

/** What a route counts besides its requests (RouteSpec.metric). */
export type RouteMetric = 'login' | 'grant';

const byKind: Record<RouteMetric, Counter<'outcome'>> = { login: logins, grant: grants };
type Child = ReturnType<Counter<'outcome'>['labels']>;
const children: Record<RouteMetric, Map<string, Child>> = { login: new Map(), grant: new Map() };

/**
 * Counts one answered request of a route: logins and grants by outcome (`success` or the
 * catalogue's error code), and every rate-limit refusal by route id. Error codes are a closed
 * set, so the label values are bounded.
 */
export function recordRouteOutcome(routeId: string, metric: RouteMetric | undefined, outcome: string): void {
  if (outcome === 'RATE_LIMITED') rateLimitRefusals.inc({ route: routeId });
  if (!metric) return;
  let child = children[metric].get(outcome);
  if (!child) {
    child = byKind[metric].labels({ outcome });
    children[metric].set(outcome, child);
  }
  child.inc();
}
