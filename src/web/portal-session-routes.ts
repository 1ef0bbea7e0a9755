import { AppError } from '../errors/app-error.ts';
import { authed, defineRoutes, type RequestContext } from '../api/http/route.ts';
import { readCredential } from '../api/http/credentials.ts';
import { isApiTokenSession } from '../sessions/api-token-session-policy.ts';
import {
  PORTAL_COOKIE, clearedSessionCookie, portalCsrfToken, readCookie, sessionCookie,
} from '../api/http/portal-cookie.ts';

/**
 * The portal's cookie session (issue 4; design in src/api/http/portal-cookie.ts):
 *
 * - `POST /portal/session` with `Authorization: Bearer <access token>` (fresh from the ordinary
 *   login) sets the HttpOnly `od_session` cookie and returns `{csrfToken}`.
 * - `GET /portal/session` (cookie only) returns `{csrfToken}` again after a page reload. A GET
 *   response cannot be read cross-origin (no CORS here) and SameSite=Strict keeps the cookie off
 *   cross-site requests, so this needs no CSRF token itself.
 * - `POST /portal/session/assertion` (cookie + CSRF) returns the session's access token, used only
 *   as the `assertion` of the one-shot jwt-bearer mint after a reload; the portal keeps it in a
 *   JS variable for that call and never persists it.
 * - `DELETE /portal/session` removes the cookie (the portal ends the session itself first with
 *   `DELETE /cloudapi/1.0.0/sessions/current`, which audits the logout).
 *
 * Not VCD endpoints: they live outside /api, /cloudapi and /oauth.
 */
export const PORTAL_SESSION_PATH = '/portal/session';

const NO_STORE = { 'Cache-Control': 'no-store' };

function isSecure(ctx: RequestContext): boolean {
  return ctx.baseUrl.startsWith('https:');
}

export const portalSessionRoutes = defineRoutes([
  {
    id: 'portal.session.create', method: 'POST', path: PORTAL_SESSION_PATH, family: 'cloudapi', auth: 'session',
    allowEnrolmentOnly: true, apiTokenSession: 'deny',
    handler: (ctx) => {
      const c = authed(ctx);
      const cred = readCredential(c.req.headers);
      if (cred?.kind !== 'bearer') {
        throw new AppError('BAD_REQUEST', { message: 'Send the access token of a fresh login as Authorization: Bearer.' });
      }
      const csrfToken = portalCsrfToken(c.services.keys, cred.token, c.principal.sessionId);
      if (!csrfToken) throw new AppError('UNAUTHORIZED');
      const maxAgeSeconds = (Date.parse(c.principal.expiresAt) - c.services.clock.now().getTime()) / 1000;
      return {
        body: { csrfToken },
        headers: { ...NO_STORE, 'Set-Cookie': sessionCookie(cred.token, { secure: isSecure(c), maxAgeSeconds }) },
      };
    },
  },
  {
    id: 'portal.session.get', method: 'GET', path: PORTAL_SESSION_PATH, family: 'cloudapi', auth: 'none',
    handler: async (ctx) => {
      const token = readCookie(ctx.req.headers.cookie, PORTAL_COOKIE);
      const authenticated = token ? await ctx.services.sessions.authenticateAccessToken(token) : null;
      // Spec §8.2 (docs/security.md): an access token minted from an API token never becomes a
      // portal session, so it gets no CSRF token and its cookie is dropped like a dead one.
      const principal = authenticated && !isApiTokenSession(authenticated) ? authenticated : null;
      const csrfToken = token && principal ? portalCsrfToken(ctx.services.keys, token, principal.sessionId) : null;
      if (!csrfToken) {
        // A dead cookie is dropped so the browser stops sending it.
        throw new AppError('UNAUTHORIZED', {
          message: 'No portal session.',
          ...(token ? { headers: { 'Set-Cookie': clearedSessionCookie({ secure: isSecure(ctx) }) } } : {}),
        });
      }
      return { body: { csrfToken }, headers: NO_STORE };
    },
  },
  {
    id: 'portal.session.assertion', method: 'POST', path: `${PORTAL_SESSION_PATH}/assertion`, family: 'cloudapi', auth: 'session',
    apiTokenSession: 'deny',
    handler: (ctx) => {
      authed(ctx);
      const cred = readCredential(ctx.req.headers);
      if (cred?.kind !== 'portalCookie') throw new AppError('BAD_REQUEST', { message: 'Only a portal cookie session has an assertion to return.' });
      return { body: { accessToken: cred.token }, headers: NO_STORE };
    },
  },
  {
    id: 'portal.session.delete', method: 'DELETE', path: PORTAL_SESSION_PATH, family: 'cloudapi', auth: 'none',
    handler: (ctx) => ({ status: 204, headers: { ...NO_STORE, 'Set-Cookie': clearedSessionCookie({ secure: isSecure(ctx) }) } }),
  },
]);
