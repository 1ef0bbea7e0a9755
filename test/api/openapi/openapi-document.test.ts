import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { request } from '../../support/http-client.ts';
import { allRoutes } from '../../../src/api/routes.ts';
import { grantHandlers } from '../../../src/oauth/index.ts';

type Operation = {
  operationId: string; summary: string; responses: Record<string, unknown>; security: unknown[];
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
};
type Doc = { openapi: string; info: { title: string; version: string }; servers: { url: string }[]; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/**
 * Every (method, path) the running Fastify instance serves, read from its route tree
 * (printRoutes without common prefixes: one indented line per path segment): catches a route
 * registered outside the route table as well as one added to it.
 */
function servedRoutes(tree: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const parent = depth === 0 ? '' : stack[depth - 1]!;
    const segment = m[2]!;
    const full = depth === 0 ? segment : parent.endsWith('/') || segment.startsWith('/') ? parent + segment : `${parent}${segment}`;
    stack[depth] = full;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) out.push({ method, path: full });
  }
  return out;
}

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('GET /cloudapi/openapi.json (issue 19)', () => {
  let t: TestServer;
  let doc: Doc;
  beforeAll(async () => {
    t = await startTestServer();
    const res = await request(t.url, 'GET', '/cloudapi/openapi.json');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    doc = res.json<Doc>();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is public (no credentials) and an OpenAPI 3.1 document naming this server', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.servers).toEqual([{ url: t.url }]);
  });

  it('describes every /cloudapi and /oauth route the server serves', () => {
    const served = servedRoutes(t.server.app.printRoutes({ commonPrefix: false }))
      .filter((r) => r.path.startsWith('/cloudapi') || r.path.startsWith('/oauth'));
    // The parse found the route table's routes (a broken parse must not pass vacuously).
    expect(served.length).toBeGreaterThanOrEqual(allRoutes.filter((r) => /^\/(cloudapi|oauth)\//.test(r.path)).length);
    const missing = served.filter((r) => !doc.paths[toOpenApiPath(r.path)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('names each operation after its route id, and describes no path the server does not serve', () => {
    const fromTable = allRoutes.filter((r) => /^\/(cloudapi|oauth)\//.test(r.path));
    for (const r of fromTable) expect(doc.paths[toOpenApiPath(r.path)]?.[r.method.toLowerCase()]?.operationId, `${r.method} ${r.path}`).toBe(r.id);
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(ops.length).toBe(fromTable.length);
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/') || p.startsWith('/health'))).toBe(false);
  });

  it('has the basic structure: operations on every path, responses on every operation, path parameters declared', () => {
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    for (const [path, item] of Object.entries(doc.paths)) {
      const methods = Object.keys(item);
      expect(methods.length, path).toBeGreaterThan(0);
      for (const m of methods) expect(METHODS, `${path} ${m}`).toContain(m);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]).sort();
      for (const [method, op] of Object.entries(item)) {
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0);
        for (const resp of Object.values(op.responses)) expect(resp, `${method} ${path}`).toEqual(expect.objectContaining({}));
        expect(typeof op.summary).toBe('string');
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
        expect(declared, `${method} ${path}`).toEqual(templated);
        for (const p of op.parameters ?? []) expect(p.required).toBe(p.in === 'path');
        for (const s of op.security) for (const scheme of Object.keys(s as object)) expect(doc.components.securitySchemes).toHaveProperty(scheme);
      }
    }
    // Every $ref resolves inside the document.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      let node: unknown = doc;
      for (const part of ref.split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
      expect(node, ref).toBeDefined();
    }
  });

  it('describes request bodies with the zod schemas the handlers validate them with', () => {
    const createOrg = doc.paths['/cloudapi/1.0.0/orgs']!.post!;
    expect(createOrg.requestBody!.content['application/json']!.schema).toMatchObject({
      type: 'object', properties: { name: expect.anything(), displayName: expect.anything(), isEnabled: expect.anything() },
    });
    const confirm = doc.paths['/cloudapi/1.0.0/users/current/mfa/totp/confirm'] ?? Object.entries(doc.paths).find(([p]) => p.endsWith('/confirm'))?.[1];
    expect(confirm!.post!.requestBody!.content['application/json']!.schema).toMatchObject({ required: ['code'], properties: { code: { type: 'string', maxLength: 16 } } });
    // The token endpoint: a form, one variant per registered grant.
    const token = doc.paths['/oauth/tenant/{org}/token']!.post!;
    const form = token.requestBody!.content['application/x-www-form-urlencoded']!.schema as { anyOf: { properties: { grant_type: { const: string } } }[] };
    expect(form.anyOf.map((v) => v.properties.grant_type.const).sort()).toEqual([...grantHandlers.keys()].sort());
    expect([...grantHandlers.keys()]).toEqual(expect.arrayContaining(['refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:device_code']));
    expect(token.security).toEqual([]);
    expect(doc.paths['/cloudapi/1.0.0/tokens']!.get!.security).toEqual([{ bearerAuth: [] }]);
    // Lists take the paging and FIQL parameters and answer a page.
    const list = doc.paths['/cloudapi/1.0.0/tokens']!.get!;
    expect(list.parameters!.map((p) => p.name)).toEqual(['page', 'pageSize', 'filter', 'sortAsc', 'sortDesc']);
    expect(list.responses['200']).toEqual({ $ref: '#/components/responses/PagedList' });
    expect(doc.paths['/cloudapi/1.0.0/tokens/{id}']!.get!.parameters!.map((p) => p.name)).toEqual(['id']);
  });
});
