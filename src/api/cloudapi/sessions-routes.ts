import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { appendAuditEvent } from '../../audit/audit-writer.ts';
import { authed, defineRoutes, type RequestContext } from '../http/route.ts';
import { loginHeaders, performLogin, siteName } from '../http/login-handler.ts';
import { sessionJson } from './session-wire.ts';
import { readPageParams, pagedResult } from './paged-list.ts';

const P = '/cloudapi/1.0.0/sessions';

async function login(ctx: RequestContext, endpoint: 'tenant' | 'provider') {
  const { result, principal } = await performLogin(ctx, endpoint);
  const { config } = ctx.services;
  return {
    headers: loginHeaders(result.accessToken),
    body: sessionJson(principal, ctx.services.siteId, siteName(ctx.baseUrl), config.sessionIdleMinutes),
  };
}

async function logout(ctx: RequestContext) {
  const c = authed(ctx);
  await c.services.sessions.endSession(c.principal);
  await appendAuditEvent(c.services.db, {
    event: 'session.logged_out', at: c.services.clock.now(),
    actor: { userId: c.principal.userId, userName: c.principal.username, orgId: c.principal.orgId, orgName: c.principal.orgName, apiTokenId: c.principal.apiTokenId, sessionId: c.principal.sessionId, clientIp: c.clientIp },
    description: `User ${c.principal.username} logged out`,
  });
  return { status: 204 };
}

/** CloudAPI sessions (spec §3.1, §3.4–§3.6). */
export const sessionsRoutes = defineRoutes([
  { id: 'sessions.login', method: 'POST', path: P, family: 'cloudapi', auth: 'none', handler: (ctx) => login(ctx, 'tenant') },
  { id: 'sessions.loginProvider', method: 'POST', path: `${P}/provider`, family: 'cloudapi', auth: 'none', handler: (ctx) => login(ctx, 'provider') },
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
      const now = c.services.clock.now().toISOString();
      const base = c.services.db.selectFrom('sessions').where('user_id', '=', c.principal.userId).where('org_id', '=', c.principal.orgId)
        .where('ended_at', 'is', null).where('expires_at', '>', now);
      const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
      const rows = page.pageSize === 0 ? [] : await base.selectAll().orderBy('created_at', 'desc').limit(page.pageSize).offset((page.page - 1) * page.pageSize).execute();
      const values = rows.map((s) => ({
        id: toUrn('session', s.id), user: { name: c.principal.username, id: toUrn('user', s.user_id) },
        org: { name: c.principal.orgName, id: toUrn('org', s.org_id) }, createdAt: s.created_at, expiresAt: s.expires_at,
        apiTokenId: s.api_token_id ? toUrn('token', s.api_token_id) : null,
      }));
      return pagedResult(c, values, total, page, 'Sessions');
    },
  },
  {
    id: 'sessions.delete', method: 'DELETE', path: `${P}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      const id = uuidFromUrn(c.params.id ?? '', 'session');
      const row = id ? await c.services.db.selectFrom('sessions').select(['id', 'expires_at']).where('id', '=', id).where('user_id', '=', c.principal.userId).executeTakeFirst() : undefined;
      if (!row) throw new AppError('ACCESS_FORBIDDEN');
      await c.services.sessions.endSession({ sessionId: row.id, apiTokenId: null, expiresAt: row.expires_at });
      return { status: 204 };
    },
  },
]);
