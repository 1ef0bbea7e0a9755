import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { authed, defineRoutes, type AuthedContext, type RequestContext } from '../http/route.ts';
import { loginHeaders, performLogin, siteName } from '../http/login-handler.ts';
import { sessionJson } from './session-wire.ts';
import { readPageParams, pagedResult } from './paged-list.ts';
import { OwnSessions, type OwnSession } from '../../sessions/own-sessions.ts';
import { isSessionReachable } from '../../sessions/api-token-session-policy.ts';

const P = '/cloudapi/1.0.0/sessions';

async function login(ctx: RequestContext, endpoint: 'tenant' | 'provider') {
  const { result, principal } = await performLogin(ctx, endpoint);
  const { config } = ctx.services;
  return {
    headers: loginHeaders(result.accessToken),
    body: sessionJson(principal, ctx.services.siteId, siteName(ctx.baseUrl), config.sessionIdleMinutes),
  };
}

/** Ends `ended` (the caller's own session, or another of the caller's), recorded in the audit log. */
async function endAndRecord(c: AuthedContext, ended: Pick<OwnSession, 'sessionId' | 'apiTokenId' | 'expiresAt'>) {
  await c.services.sessions.endSession(ended, { principal: c.principal, clientIp: c.clientIp });
  return { status: 204 };
}

async function logout(ctx: RequestContext) {
  const c = authed(ctx);
  return endAndRecord(c, c.principal);
}

/**
 * One of the caller's sessions in the list and by id: the Session body of spec §3.10 (the same
 * user, org and roles as the caller's, since every listed session is the caller's own), plus when
 * it began and ends and, for a session minted from an API token, that token.
 */
function ownSessionJson(c: AuthedContext, s: OwnSession) {
  const operating = s.sessionId === c.principal.sessionId ? c.org : undefined;
  return {
    ...sessionJson({ ...c.principal, sessionId: s.sessionId }, c.services.siteId, siteName(c.baseUrl), c.services.config.sessionIdleMinutes, operating),
    createdAt: s.createdAt, expiresAt: s.expiresAt, apiTokenId: s.apiTokenId ? toUrn('token', s.apiTokenId) : null,
  };
}

/** The caller's live session named by the path's id; someone else's, an ended one and a malformed id alike are 403. */
async function ownSessionNamed(c: AuthedContext): Promise<OwnSession> {
  const id = uuidFromUrn(c.params.id ?? '', 'session');
  // Spec §8.2: a token-derived session may read or end only itself; any other id is refused alike.
  if (id && !isSessionReachable(c.principal, id)) throw new AppError('API_TOKEN_SESSION_FORBIDDEN');
  const found = id ? await new OwnSessions(c.services.db).find(c.principal, id, c.services.clock.now().toISOString()) : null;
  if (!found) throw new AppError('ACCESS_FORBIDDEN');
  return found;
}

/** CloudAPI sessions (spec §3.1, §3.4–§3.6). */
export const sessionsRoutes = defineRoutes([
  { id: 'sessions.login', method: 'POST', path: P, family: 'cloudapi', auth: 'none', metric: 'login', handler: (ctx) => login(ctx, 'tenant') },
  { id: 'sessions.loginProvider', method: 'POST', path: `${P}/provider`, family: 'cloudapi', auth: 'none', metric: 'login', handler: (ctx) => login(ctx, 'provider') },
  {
    id: 'sessions.current', method: 'GET', path: `${P}/current`, family: 'cloudapi', auth: 'session', allowEnrolmentOnly: true,
    handler: (ctx) => {
      const c = authed(ctx);
      return { body: { ...sessionJson(c.principal, c.services.siteId, siteName(c.baseUrl), c.services.config.sessionIdleMinutes, c.org), enrolmentRequired: c.principal.enrolmentOnly, apiTokenSession: c.principal.apiTokenId !== null,
        // Extra field (issue 4): the caller's effective rights, so the portal shows only what works.
        rights: [...c.principal.rights].sort() } };
    },
  },
  { id: 'sessions.logoutCurrent', method: 'DELETE', path: `${P}/current`, family: 'cloudapi', auth: 'session', allowEnrolmentOnly: true, handler: logout },
  // Go's Disconnect sends DELETE to the URL it logged in at (spec §3.6).
  { id: 'sessions.logoutGo', method: 'DELETE', path: P, family: 'cloudapi', auth: 'session', allowEnrolmentOnly: true, handler: logout },
  { id: 'sessions.logoutGoProvider', method: 'DELETE', path: `${P}/provider`, family: 'cloudapi', auth: 'session', allowEnrolmentOnly: true, handler: logout },
  {
    id: 'sessions.list', method: 'GET', path: P, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      const page = readPageParams(c.query);
      const { total, values } = await new OwnSessions(c.services.db).page(c.principal, c.services.clock.now().toISOString(), page.page, page.pageSize);
      return pagedResult(c, values.map((s) => ownSessionJson(c, s)), total, page, 'Sessions');
    },
  },
  {
    id: 'sessions.get', method: 'GET', path: `${P}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: ownSessionJson(c, await ownSessionNamed(c)) };
    },
  },
  {
    id: 'sessions.delete', method: 'DELETE', path: `${P}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      return endAndRecord(c, await ownSessionNamed(c));
    },
  },
]);
