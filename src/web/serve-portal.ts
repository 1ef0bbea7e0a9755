import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/http/services.ts';
import { registerRoutes } from '../api/http/register-routes.ts';
import { portalSessionRoutes } from './portal-session-routes.ts';

/** Where `npm run build:portal` (Vite) writes the portal; src/web/vite.config.ts names the same folder. */
export const PORTAL_DIST_DIR = fileURLToPath(new URL('./dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Issue 4: script, styles and images only from this origin; `data:` images for the TOTP QR code
 * the server returns as a data URL; no framing (clickjacking), no plugins, no <base> tricks.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "img-src 'self' data:", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export interface Portal {
  /** SPA fallback for the not-found handler: index.html for GET/HEAD outside the API families. */
  serveIndex(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  /** Registers `/`, `/assets/*`, the favicon and the portal session endpoints. */
  register(app: FastifyInstance, services: Services): void;
}

/** The web portal: static files built by Vite, served on the API's origin (issue 4). */
export function createPortal(baseUrl: () => string, distDir = PORTAL_DIST_DIR): Portal {
  const securityHeaders = (reply: FastifyReply): FastifyReply => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    if (baseUrl().startsWith('https:')) reply.header('Strict-Transport-Security', 'max-age=31536000');
    return reply;
  };

  const serveIndex = async (_req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    securityHeaders(reply).header('Cache-Control', 'no-cache');
    let html: Buffer;
    try {
      html = await fs.readFile(path.join(distDir, 'index.html'));
    } catch {
      return reply.code(503).header('content-type', 'text/plain; charset=utf-8')
        .send('The web portal is not built. Run `npm run build:portal` (npm start does it for you).\n');
    }
    return reply.code(200).header('content-type', CONTENT_TYPES['.html']).send(html);
  };

  /** Files under dist/ only; Vite names assets by content hash, so they may be cached for a year. */
  const serveFile = async (reply: FastifyReply, relative: string, immutable: boolean): Promise<FastifyReply> => {
    securityHeaders(reply);
    const file = path.resolve(distDir, relative);
    const type = CONTENT_TYPES[path.extname(file)];
    if (!file.startsWith(path.resolve(distDir) + path.sep) || !type) return notFound(reply);
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      return notFound(reply);
    }
    return reply.code(200).header('content-type', type)
      .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600')
      .send(body);
  };

  return {
    serveIndex,
    register(app, services) {
      registerRoutes(app, services, portalSessionRoutes, baseUrl);
      app.get('/', serveIndex);
      // RFC 8628 verification_uri of each org (issue 16): the portal's device page.
      app.get('/provider/device', serveIndex);
      app.get('/tenant/:org/device', serveIndex);
      app.get('/assets/*', (req, reply) => serveFile(reply, `assets/${(req.params as { '*': string })['*']}`, true));
      app.get('/favicon.svg', (_req, reply) => serveFile(reply, 'favicon.svg', false));
    },
  };
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).header('content-type', 'text/plain; charset=utf-8').header('Cache-Control', 'no-cache').send('Not found\n');
}
