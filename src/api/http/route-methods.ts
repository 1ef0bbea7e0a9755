/**
 * Which methods are routed for a concrete path, so that a known path asked with another method
 * answers 405 `METHOD_NOT_ALLOWED` with an `Allow` header (spec §6.3, RFC 9110 §15.5.6) instead
 * of 404: `PUT /cloudapi/1.0.0/tokens/` exists as a path, just not for PUT.
 *
 * Fed by Fastify's `onRoute` hook with the patterns the router was given (`:name` parameters,
 * a trailing `*`); matched the way the router is configured: trailing and duplicate slashes
 * ignored, case-sensitive.
 */
export class RouteMethods {
  private readonly routes: { pattern: RegExp; method: string }[] = [];

  add(method: string | readonly string[], url: string): void {
    for (const m of typeof method === 'string' ? [method] : method) this.routes.push({ pattern: patternOf(url), method: m.toUpperCase() });
  }

  /** The methods routed for `url` (query ignored), in registration order; empty for an unknown path. */
  methodsFor(url: string): string[] {
    const path = normalise(url);
    const methods: string[] = [];
    for (const r of this.routes) if (!methods.includes(r.method) && r.pattern.test(path)) methods.push(r.method);
    return methods;
  }
}

function normalise(url: string): string {
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q)).replace(/\/{2,}/g, '/');
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

function patternOf(url: string): RegExp {
  const segments = normalise(url).split('/').map((s) => {
    if (s === '*') return '.*';
    if (s.startsWith(':')) return '[^/]+';
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}$`);
}
