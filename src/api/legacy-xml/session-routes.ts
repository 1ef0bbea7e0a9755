import { authed, defineRoutes } from '../http/route.ts';
import { loginHeaders, performLogin, siteName } from '../http/login-handler.ts';
import { readCredential } from '../http/credentials.ts';
import { CURRENT_VERSIONS, DEPRECATED_VERSIONS } from '../http/versions.ts';
import { xmlDocument } from '../http/xml.ts';
import { SESSION_XML_TYPE, sessionXml } from './session-xml.ts';

/** `GET /api/versions` (spec §2.1): the 37.0 entry's LoginUrl must be our cloudapi sessions URL. */
function versionsXml(baseUrl: string): string {
  const entry = (v: string, deprecated: boolean) => ({
    '@_deprecated': String(deprecated),
    Version: v,
    LoginUrl: deprecated ? `${baseUrl}/api/sessions` : `${baseUrl}/cloudapi/1.0.0/sessions`,
    ...(deprecated ? {} : { ProviderLoginUrl: `${baseUrl}/cloudapi/1.0.0/sessions/provider` }),
  });
  return xmlDocument('SupportedVersions', {
    '@_xmlns': 'http://www.vmware.com/vcloud/versions',
    VersionInfo: [...DEPRECATED_VERSIONS.map((v) => entry(v, true)), ...CURRENT_VERSIONS.map((v) => entry(v, false))],
  });
}

/** Legacy XML session entry points (spec §2.1, §3.2, §3.3, §3.6). */
export const xmlSessionRoutes = defineRoutes([
  {
    id: 'xml.versions', method: 'GET', path: '/api/versions', family: 'xml', auth: 'none',
    handler: (ctx) => ({ body: versionsXml(ctx.baseUrl), contentType: 'application/xml' }),
  },
  {
    id: 'xml.login', method: 'POST', path: '/api/sessions', family: 'xml', auth: 'none', metric: 'login',
    handler: async (ctx) => {
      const { result, principal } = await performLogin(ctx, 'any');
      return {
        headers: {
          ...loginHeaders(result.accessToken),
          'x-vcloud-authorization': result.legacyToken,
          'set-cookie': `vcloud-token=${result.legacyToken}; Path=/; HttpOnly; SameSite=Strict${ctx.baseUrl.startsWith('https:') ? '; Secure' : ''}`,
        },
        body: sessionXml(principal, ctx.baseUrl, ctx.services.siteId, siteName(ctx.baseUrl)),
        contentType: `${SESSION_XML_TYPE};version=${ctx.version}`,
      };
    },
  },
  {
    // pyvcloud and PowerCLI `Connect-CIServer -SessionId "Bearer …"` rehydrate a token here (spec §3.3).
    id: 'xml.session', method: 'GET', path: '/api/session', family: 'xml', auth: 'session', allowEnrolmentOnly: true,
    handler: (ctx) => {
      const c = authed(ctx);
      // pyvcloud up to 21 (vcd-cli `login --session-id`, old CSE) rehydrates a legacy token here and
      // then reads `response.headers['x-vcloud-authorization']` unconditionally (a KeyError when it
      // is missing), as VCD sends it. Echo the token the caller authenticated with; a bearer
      // session has no legacy token we could name (only its hash is stored), so none is invented.
      const cred = readCredential(c.req.headers);
      return {
        // A response that carries a credential is not stored by caches, as with a login (login-handler.ts).
        ...(cred?.kind === 'legacy' ? { headers: { 'x-vcloud-authorization': cred.token, 'Cache-Control': 'no-store' } } : {}),
        body: sessionXml(c.principal, c.baseUrl, c.services.siteId, siteName(c.baseUrl)),
        contentType: `${SESSION_XML_TYPE};version=${c.version}`,
      };
    },
  },
  {
    id: 'xml.logout', method: 'DELETE', path: '/api/session', family: 'xml', auth: 'session', allowEnrolmentOnly: true,
    handler: async (ctx) => {
      const c = authed(ctx);
      await c.services.sessions.endSession(c.principal, { principal: c.principal, clientIp: c.clientIp });
      return { status: 204 };
    },
  },
]);
