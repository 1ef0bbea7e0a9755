import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, ADMIN_PASSWORD, type TestServer } from '../support/test-server.ts';
import { basic } from '../support/http-client.ts';
import { loginAdmin } from '../support/flows.ts';

/**
 * Issue 8, transport and browser: with a certificate and key configured the server speaks only
 * HTTPS and sends HSTS; the portal sends its CSP (frame-ancestors 'none') and anti-framing
 * headers; session cookies are HttpOnly, SameSite=Strict, and Secure under HTTPS. (The refusal to
 * listen on a non-loopback address without TLS is tested in test/config/load-config.test.ts.)
 */

interface Answer { status: number; headers: http.IncomingHttpHeaders; text: string }

let certDir: string;
let cert: Buffer;
let tlsServer: TestServer;
let plainServer: TestServer;

/** A self-signed certificate for 127.0.0.1, made with the system's openssl (Debian and CI have it). */
function makeCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'pipe' });
  return { certFile, keyFile };
}

function send(url: string, method: string, pathname: string, headers: Record<string, string> = {}): Promise<Answer> {
  const target = new URL(pathname, url);
  const mod = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(target, { method, headers, agent: false, ...(target.protocol === 'https:' ? { ca: cert } : {}) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.once('error', reject);
    req.end();
  });
}

function cookieNamed(res: Answer, name: string): string {
  const cookie = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));
  expect(cookie, `${name} cookie`).toBeDefined();
  return cookie as string;
}

beforeAll(async () => {
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-tls-'));
  const { certFile, keyFile } = makeCertificate(certDir);
  cert = fs.readFileSync(certFile);
  tlsServer = await startTestServer({ tlsCertFile: certFile, tlsKeyFile: keyFile });
  plainServer = await startTestServer();
});
afterAll(async () => {
  await tlsServer?.close();
  await plainServer?.close();
  fs.rmSync(certDir, { recursive: true, force: true });
});

describe('HTTPS (issue 8)', () => {
  it('serves the API over TLS with HSTS and builds every href on the https origin', async () => {
    expect(tlsServer.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await send(tlsServer.url, 'GET', '/api/versions');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(res.text).toContain(`<LoginUrl>${tlsServer.url}/cloudapi/1.0.0/sessions</LoginUrl>`);
    const login = await send(tlsServer.url, 'POST', '/cloudapi/1.0.0/sessions/provider', { authorization: basic('administrator', 'System', ADMIN_PASSWORD), accept: 'application/json;version=37.0' });
    expect(login.status, login.text).toBe(200);
    expect(login.headers['strict-transport-security']).toBe('max-age=31536000');
    // Errors carry it too.
    const refused = await send(tlsServer.url, 'GET', '/cloudapi/1.0.0/tokens', { accept: 'application/json;version=37.0' });
    expect(refused.status).toBe(401);
    expect(refused.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('does not answer plain HTTP on the TLS port', async () => {
    const plain = tlsServer.url.replace('https:', 'http:');
    const outcome = await send(plain, 'GET', '/api/versions').then((r) => `answered ${r.status}`, (e: NodeJS.ErrnoException) => `failed ${e.code ?? e.message}`);
    expect(outcome).toMatch(/^failed /);
  });

  it('refuses a client that does not trust the certificate instead of downgrading', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = https.request(`${tlsServer.url}/api/versions`, { agent: false }, () => resolve('answered'));
      req.once('error', (e: NodeJS.ErrnoException) => resolve(`failed ${e.code ?? ''}`));
      req.end();
    });
    expect(outcome).toBe('failed DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('sends no HSTS over plain HTTP (RFC 6797 §7.2)', async () => {
    const res = await send(plainServer.url, 'GET', '/api/versions');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('portal headers and cookies (issue 8)', () => {
  it('sends CSP with frame-ancestors none, anti-framing and HSTS on portal pages over TLS', async () => {
    for (const page of ['/', '/provider/tokens']) {
      const res = await send(tlsServer.url, 'GET', page);
      // 503 only when the portal was not built (`npm run build:portal`); the headers are the same.
      expect([200, 503]).toContain(res.status);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    }
  });

  it('sets the portal session cookie HttpOnly, SameSite=Strict and Secure under https, not Secure over loopback http', async () => {
    const tlsLogin = await send(tlsServer.url, 'POST', '/cloudapi/1.0.0/sessions/provider', { authorization: basic('administrator', 'System', ADMIN_PASSWORD), accept: 'application/json;version=37.0' });
    const tlsToken = String(tlsLogin.headers['x-vmware-vcloud-access-token']);
    const tlsPortal = await send(tlsServer.url, 'POST', '/portal/session', { authorization: `Bearer ${tlsToken}` });
    expect(tlsPortal.status, tlsPortal.text).toBe(200);
    const secure = cookieNamed(tlsPortal, 'od_session').split(/;\s*/);
    expect(secure).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Secure', 'Path=/']));
    expect(tlsPortal.headers['cache-control']).toBe('no-store');

    const plainToken = await loginAdmin(plainServer.url);
    const plainPortal = await send(plainServer.url, 'POST', '/portal/session', { authorization: `Bearer ${plainToken}` });
    expect(plainPortal.status, plainPortal.text).toBe(200);
    const plain = cookieNamed(plainPortal, 'od_session').split(/;\s*/);
    expect(plain).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    expect(plain).not.toContain('Secure');
  });

  it('sets the legacy vcloud-token cookie HttpOnly, SameSite=Strict and Secure under https', async () => {
    const res = await send(tlsServer.url, 'POST', '/api/sessions', { authorization: basic('administrator', 'System', ADMIN_PASSWORD), accept: 'application/*+xml;version=36.0' });
    expect(res.status, res.text).toBe(200);
    expect(cookieNamed(res, 'vcloud-token').split(/;\s*/)).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Secure']));
  });
});
