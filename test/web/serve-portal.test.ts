import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePortalBuilt } from '../../src/web/build-portal.ts';
import { PORTAL_DIST_DIR } from '../../src/web/serve-portal.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createServer } from '../../src/server.ts';
import { request } from '../support/http-client.ts';

function listeningUrl(t: TestServer): string {
  return `http://127.0.0.1:${(t.server.app.server.address() as AddressInfo).port}`;
}

const CSP = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

describe('serving the web portal (issue 4)', () => {
  let srv: TestServer;
  let https: TestServer;
  beforeAll(async () => {
    await ensurePortalBuilt();
    srv = await startTestServer();
    https = await startTestServer({ publicUrl: 'https://portal.example.net' });
  });
  afterAll(async () => {
    await srv?.close();
    await https?.close();
  });

  it('serves index.html at / with the security headers and no caching', async () => {
    const res = await request(srv.url, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.text).toContain('<div id="root"></div>');
  });

  it.each(['/tenant/acme', '/provider', '/provider/', '/provider/orgs', '/tenant/acme/', '/tenant/acme/vdcs/some/deep/link'])('serves index.html for the portal page %s', async (p) => {
    const res = await request(srv.url, 'GET', p);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.text).toContain('<div id="root"></div>');
  });

  it('serves the hashed assets with a year-long immutable cache', async () => {
    const index = (await request(srv.url, 'GET', '/')).text;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await request(srv.url, 'GET', script ?? '');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(js.text).toBe(fs.readFileSync(path.join(PORTAL_DIST_DIR, script ?? ''), 'utf8'));
    const css = await request(srv.url, 'GET', style ?? '');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for a missing asset and never serves files outside the build', async () => {
    expect((await request(srv.url, 'GET', '/assets/nope-123.js')).status).toBe(404);
    expect((await request(srv.url, 'GET', '/assets/..%2f..%2fserve-portal.ts')).status).toBe(404);
    // fetch normalises %2e%2e to `..` before sending: the path becomes /serve-portal.ts, which is
    // just another portal route (index.html), never the source file.
    const dotted = await request(srv.url, 'GET', '/assets/%2e%2e/%2e%2e/serve-portal.ts');
    expect(dotted.text).not.toContain('createPortal');
  });

  it('leaves the API families alone: unknown /cloudapi, /api and /oauth paths keep their own 404s', async () => {
    const cloud = await request(srv.url, 'GET', '/cloudapi/1.0.0/nothing-here');
    expect(cloud.status).toBe(404);
    expect(cloud.json()).toMatchObject({ minorErrorCode: 'RESOURCE_NOT_FOUND' });
    const xml = await request(srv.url, 'GET', '/api/nothing-here');
    expect(xml.status).toBe(404);
    expect(xml.headers.get('content-type')).toContain('application/vnd.vmware.vcloud.error+xml');
    const oauth = await request(srv.url, 'GET', '/oauth/nothing-here');
    expect(oauth.status).toBe(404);
    expect(oauth.headers.get('content-type')).toContain('application/json');
  });

  it('does not answer non-GET requests on portal paths with the page', async () => {
    const res = await request(srv.url, 'POST', '/tenant/acme');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.text).not.toContain('<div id="root">');
    const head = await fetch(`${srv.url}/tenant/acme`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  // Issue 15 §4: only the portal's own pages are the page; anything else is a 404 in its family's shape.
  it.each(['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server/oauth/elsewhere', '/.well-known/openid-configuration', '/.well-known/security.txt'])(
    'answers the unknown well-known URI %s with a 404 in the OAuth family\'s JSON shape', async (p) => {
      const res = await request(srv.url, 'GET', p);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.json()).toMatchObject({ error: 'invalid_request', minorErrorCode: 'RESOURCE_NOT_FOUND' });
      expect(res.text).not.toContain('<div id="root">');
    });

  it.each(['/portal/anything', '/robots.txt', '/index.php', '/wp-login.php', '/tenant', '/providers', '/admin', '/assetsx/app.js'])(
    'answers the unknown path %s with a 404 in the CloudAPI JSON shape, not the page', async (p) => {
      const res = await request(srv.url, 'GET', p);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.json()).toMatchObject({ minorErrorCode: 'RESOURCE_NOT_FOUND', stackTrace: null });
    });

  it('lets a route registered on the composed server answer under /.well-known, ahead of the 404', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-test-'));
    const config = loadConfig({}, { host: '127.0.0.1', port: 0, dataDir, adminPassword: ADMIN_PASSWORD, passwordHashCost: 10, logLevel: 'silent' });
    const server = await createServer(config);
    try {
      // As issue 16b's RFC 8414 metadata routes are (RFC 8414 §3: the issuer's path after the well-known segment).
      server.app.get('/.well-known/example-registered/oauth/provider', async (_req, reply) => reply.send({ issuer: 'registered' }));
      const url = await server.listen();
      const registered = await request(url, 'GET', '/.well-known/example-registered/oauth/provider');
      expect(registered.status).toBe(200);
      expect(registered.json()).toEqual({ issuer: 'registered' });
      expect((await request(url, 'GET', '/.well-known/example-registered/oauth/tenant/acme')).status).toBe(404);
      // The real metadata route wins over the 404 too.
      expect((await request(url, 'GET', '/.well-known/oauth-authorization-server/oauth/provider')).status).toBe(200);
      expect((await request(url, 'GET', '/tenant/acme')).status).toBe(200);
    } finally {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('adds HSTS when the public URL is https', async () => {
    // The public URL names a TLS proxy; talk to the listening port directly.
    const res = await request(listeningUrl(https), 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });
});
