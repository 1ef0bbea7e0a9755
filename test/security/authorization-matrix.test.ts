import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/api/routes.ts';
import { portalSessionRoutes } from '../../src/web/portal-session-routes.ts';
import type { RouteSpec } from '../../src/api/http/route.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { login } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { bumpRbacVersion } from '../../src/rbac/global-role-sync.ts';
import {
  buildFixtures, idsOwnedBy, JSON_ACCEPT, PRINCIPALS, snapshot, XML_ACCEPT, type Fixtures, type Who,
} from './authorization-matrix.fixture.ts';

/**
 * Issue 8, the authorization matrix: every route the server registers × eight principals. The
 * expected status of every cell is written down in EXPECTED below; a route without a row fails.
 * Path parameters name objects of org A (`acme`), so the `otherAdmin` column (org B's
 * administrator) proves that no cross-tenant read or write gets through. On top of the status,
 * every cell checks:
 * - a refused cell (4xx) changed nothing: every durable table is byte-identical before and after;
 * - a tenant principal's successful answer holds no id of the other org's objects (and a
 *   provider in tenant context sees no org B object either);
 * - errors come in the route family's shape.
 * Writes run against throwaway objects made for the cell, so a permitted write changes nothing
 * another cell relies on. (Keystone advisory class: a credential endpoint that forgets to
 * re-check ownership shows up as a 2xx in a column that must say 4xx.)
 */

/**
 * Expected status per cell. Columns:
 *   anon  noRights  user  token  orgAdmin  otherAdmin  provider  providerInTenant
 * anon: no credentials · noRights: acme user without token rights (Console Access Only) ·
 * user: acme user with API Tokens: Manage (vApp User) · token: session minted from user's API
 * token · orgAdmin: acme Organization Administrator · otherAdmin: globex Organization
 * Administrator · provider: administrator@System · providerInTenant: the same with
 * X-VMWARE-VCLOUD-TENANT-CONTEXT: acme.
 * The token column reaches only its own token and its own session (spec §8.2, issue 15): it reads
 * the token it came from (tokens.get) but not uma's other sessions or another of her tokens.
 */
const EXPECTED: Record<string, string> = {
  //                                    anon noRi user tokn orgA othA prov pInT
  'xml.versions':                      '200  200  200  200  200  200  200  200',
  'xml.login':                         '401  200  200  200  200  200  200  200',
  'xml.session':                       '401  200  200  200  200  200  200  200',
  'xml.logout':                        '401  204  204  204  204  204  204  204',
  'sessions.login':                    '401  200  200  200  200  200  401  401',
  'sessions.loginProvider':            '401  401  401  401  401  401  200  200',
  'sessions.current':                  '401  200  200  200  200  200  200  200',
  'sessions.logoutCurrent':            '401  204  204  204  204  204  204  204',
  'sessions.logoutGo':                 '401  204  204  204  204  204  204  204',
  'sessions.logoutGoProvider':         '401  204  204  204  204  204  204  204',
  'sessions.list':                     '401  200  200  200  200  200  200  200',
  'sessions.get':                      '401  403  200  403  403  403  403  403',
  'sessions.delete':                   '401  403  204  403  403  403  403  403',
  'oauth.registerProvider':            '401  403  403  403  403  403  200  200',
  'oauth.registerTenant':              '401  403  200  403  200  403  403  403',
  'oauth.tokenProvider':               '400  403  403  403  403  403  200  200',
  'oauth.tokenTenant':                 '400  403  200  403  400  403  403  403',
  // Issue 16: metadata and revocation need no account (RFC 8414, RFC 7009); introspection needs
  // Token: Introspect, which acme's and globex's bundles do not publish here.
  'oauth.metadataProvider':            '200  200  200  200  200  200  200  200',
  'oauth.metadataTenant':              '200  200  200  200  200  200  200  200',
  'oauth.revokeProvider':              '200  200  200  200  200  200  200  200',
  'oauth.revokeTenant':                '200  200  200  200  200  200  200  200',
  'oauth.introspectProvider':          '401  403  403  403  403  403  200  200',
  'oauth.introspectTenant':            '401  403  403  403  403  403  200  200',
  'health.live':                       '200  200  200  200  200  200  200  200',
  'health.ready':                      '200  200  200  200  200  200  200  200',
  'openapi.document':                  '200  200  200  200  200  200  200  200',
  'tokens.list':                       '401  403  200  200  200  200  200  200',
  'tokens.get':                        '401  403  200  200  200  403  200  200',
  'tokens.revoke':                     '401  403  204  403  204  403  204  204',
  'tokens.revokeAllOfUser':            '401  403  403  403  200  403  200  200',
  'tokens.revokeApiTokensOfUser':      '401  403  403  403  204  403  204  204',
  'apiTokenPolicy.get':                '401  403  200  200  200  403  200  200',
  'apiTokenPolicy.update':             '401  403  403  403  403  403  200  200',
  'auditTrail.list':                   '401  403  403  403  200  200  200  200',
  'auditTrail.get':                    '401  403  403  403  200  403  200  200',
  'rights.list':                       '401  403  403  403  200  200  200  200',
  'rights.get':                        '401  403  403  403  200  200  200  200',
  'rightsCategories.list':             '401  403  403  403  200  200  200  200',
  'rightsCategories.get':              '401  403  403  403  200  200  200  200',
  'roles.list':                        '401  403  403  403  200  200  200  200',
  'roles.create':                      '401  403  403  403  201  201  201  201',
  'roles.get':                         '401  403  403  403  200  403  403  200',
  'roles.update':                      '401  403  403  403  200  403  403  200',
  'roles.delete':                      '401  403  403  403  204  403  403  204',
  'roles.rights.list':                 '401  403  403  403  200  403  403  200',
  'roles.rights.add':                  '401  403  403  403  200  403  403  200',
  'roles.rights.replace':              '401  403  403  403  200  403  403  200',
  'globalRoles.list':                  '401  403  403  403  403  403  200  200',
  'globalRoles.create':                '401  403  403  403  403  403  201  201',
  'globalRoles.get':                   '401  403  403  403  403  403  200  200',
  'globalRoles.update':                '401  403  403  403  403  403  200  200',
  'globalRoles.delete':                '401  403  403  403  403  403  204  204',
  'globalRoles.rights.list':           '401  403  403  403  403  403  200  200',
  'globalRoles.rights.add':            '401  403  403  403  403  403  200  200',
  'globalRoles.rights.replace':        '401  403  403  403  403  403  200  200',
  'globalRoles.tenants.list':          '401  403  403  403  403  403  200  200',
  'globalRoles.tenants.replace':       '401  403  403  403  403  403  200  200',
  'globalRoles.tenants.publish':       '401  403  403  403  403  403  200  200',
  'globalRoles.tenants.unpublish':     '401  403  403  403  403  403  200  200',
  'globalRoles.tenants.publishAll':    '401  403  403  403  403  403  200  200',
  'globalRoles.tenants.unpublishAll':  '401  403  403  403  403  403  200  200',
  'rightsBundles.list':                '401  403  403  403  403  403  200  200',
  'rightsBundles.create':              '401  403  403  403  403  403  201  201',
  'rightsBundles.get':                 '401  403  403  403  403  403  200  200',
  'rightsBundles.update':              '401  403  403  403  403  403  200  200',
  'rightsBundles.delete':              '401  403  403  403  403  403  204  204',
  'rightsBundles.rights.list':         '401  403  403  403  403  403  200  200',
  'rightsBundles.rights.add':          '401  403  403  403  403  403  200  200',
  'rightsBundles.rights.replace':      '401  403  403  403  403  403  200  200',
  'rightsBundles.tenants.list':        '401  403  403  403  403  403  200  200',
  'rightsBundles.tenants.replace':     '401  403  403  403  403  403  200  200',
  'rightsBundles.tenants.publish':     '401  403  403  403  403  403  200  200',
  'rightsBundles.tenants.unpublish':   '401  403  403  403  403  403  200  200',
  'rightsBundles.tenants.publishAll':  '401  403  403  403  403  403  200  200',
  'rightsBundles.tenants.unpublishAll':'401  403  403  403  403  403  200  200',
  'xml.orgList':                       '401  200  200  200  200  200  200  200',
  'xml.org':                           '401  200  200  200  200  403  200  200',
  'xml.admin':                         '401  403  403  403  403  403  200  200',
  'xml.query':                         '401  403  403  403  200  200  200  200',
  'xml.vms.query':                     '401  200  200  200  200  200  200  200',
  'xml.vApps.query':                   '401  200  200  200  200  200  200  200',
  'xml.vApp':                          '401  200  200  200  200  403  200  200',
  'xml.vm.powerOn':                    '401  403  202  202  202  403  202  202',
  'xml.vm.powerOff':                   '401  403  202  202  202  403  202  202',
  'xml.task':                          '401  403  200  200  200  403  200  200',
  'xml.vdc':                           '401  403  200  200  200  403  200  200',
  'vdcs.list':                         '401  403  200  200  200  200  200  200',
  'vdcs.get':                          '401  403  200  200  200  403  200  200',
  'vdcs.create':                       '401  403  403  403  403  403  201  201',
  'vapps.list':                        '401  200  200  200  200  200  200  200',
  'vapps.get':                         '401  200  200  200  200  403  200  200',
  'vapps.create':                      '401  403  403  403  403  403  201  201',
  'vms.list':                          '401  200  200  200  200  200  200  200',
  'vms.get':                           '401  200  200  200  200  403  200  200',
  'vms.create':                        '401  403  403  403  403  403  201  201',
  'orgs.list':                         '401  200  200  200  200  200  200  200',
  'orgs.create':                       '401  403  403  403  403  403  201  201',
  'orgs.get':                          '401  200  200  200  200  403  200  200',
  'orgs.update':                       '401  403  403  403  403  403  200  200',
  'orgs.delete':                       '401  403  403  403  403  403  204  204',
  'users.list':                        '401  403  403  403  200  200  200  200',
  'users.create':                      '401  403  403  403  201  201  201  201',
  'users.get':                         '401  403  403  403  200  403  200  200',
  'users.update':                      '401  403  403  403  200  403  200  200',
  'users.delete':                      '401  403  403  403  204  403  204  204',
  'users.changeOwnPassword':           '401  204  204  403  204  204  204  204',
  'groups.list':                       '401  403  403  403  200  200  200  200',
  'groups.create':                     '401  403  403  403  201  201  201  201',
  'groups.get':                        '401  403  403  403  200  403  200  200',
  'groups.update':                     '401  403  403  403  200  403  200  200',
  'groups.delete':                     '401  403  403  403  204  403  204  204',
  'mfa.totp.status':                   '401  200  200  403  200  200  200  200',
  'mfa.totp.start':                    '401  200  200  403  200  200  200  200',
  'mfa.totp.confirm':                  '401  400  400  403  400  400  400  400',
  'mfa.totp.remove':                   '401  400  400  403  400  400  400  400',
  'users.resetMfa':                    '401  403  403  403  204  403  204  204',
  'xml.admin.users.create':            '401  403  403  403  201  403  201  201',
  'xml.admin.users.get':               '401  403  403  403  200  403  200  200',
  'xml.admin.users.update':            '401  403  403  403  200  403  200  200',
  'xml.admin.users.delete':            '401  403  403  403  204  403  204  204',
  'xml.admin.users.takeOwnership':     '401  403  403  403  204  403  204  204',
  'xml.admin.org.get':                 '401  200  200  200  200  403  200  200',
  'portal.session.create':             '401  200  200  403  200  200  200  200',
  'portal.session.get':                '401  401  401  401  401  401  401  401',
  'portal.session.assertion':          '401  400  400  403  400  400  400  400',
  'portal.session.delete':             '204  204  204  204  204  204  204  204',
  'serviceAccounts.list':              '401  403  403  403  200  200  200  200',
  'serviceAccounts.get':               '401  403  403  403  200  403  200  200',
  'serviceAccounts.update':            '401  403  403  403  200  403  200  200',
  'serviceAccounts.revoke':            '401  403  403  403  200  403  200  200',
  'serviceAccounts.delete':            '401  403  403  403  204  403  204  204',
  // 303 to the account (followed by fetch); another org's code reads as unknown (400), never 403.
  'deviceLookup.lookup':               '401  403  403  403  200  400  200  200',
  'deviceLookup.grant':                '401  403  403  403  200  400  200  200',
  'deviceLookup.deny':                 '401  403  403  403  200  400  200  200',
  'oauth.deviceAuthorizationProvider': '200  200  200  200  200  200  200  200',
  'oauth.deviceAuthorizationTenant':   '200  200  200  200  200  200  200  200',
};

/** What one cell sends. */
interface CellRequest {
  path: string;
  json?: unknown;
  xml?: string;
  form?: string;
  /** Log the principal in anew for this cell (the route ends the session it is called with). */
  freshSession?: boolean;
  /** Checks a successful answer beyond its status; returns a problem or null. */
  verify?: (text: string) => string | null;
}
type Builder = (f: Fixtures, who: Who) => Promise<CellRequest> | CellRequest;

const C = '/cloudapi/1.0.0';
const urn = (type: string, id: string) => `urn:vcloud:${type}:${id}`;
const VCLOUD = 'xmlns="http://www.vmware.com/vcloud/v1.5"';

/** How to call each route that needs more than its bare path (parameters, bodies). */
const REQUESTS: Record<string, Builder> = {
  'xml.logout': () => ({ path: '/api/session', freshSession: true }),
  'sessions.logoutCurrent': () => ({ path: `${C}/sessions/current`, freshSession: true }),
  'sessions.logoutGo': () => ({ path: `${C}/sessions`, freshSession: true }),
  'sessions.logoutGoProvider': () => ({ path: `${C}/sessions/provider`, freshSession: true }),
  'sessions.get': async (f) => ({ path: `${C}/sessions/${urn('session', await f.fresh.umaSession())}` }),
  'sessions.delete': async (f) => ({ path: `${C}/sessions/${urn('session', await f.fresh.umaSession())}` }),
  'oauth.registerProvider': (f) => ({ path: '/oauth/provider/register', json: { client_name: f.fresh.name('client') } }),
  'oauth.registerTenant': (f) => ({ path: '/oauth/tenant/acme/register', json: { client_name: f.fresh.name('client') } }),
  // The one-shot mint (jwt-bearer): the caller's own session is the assertion, the client is
  // uma's (tenant) or the provider's: only the owner, in an interactive session, gets the secret.
  'oauth.tokenTenant': async (f, who) => mint(f, who, '/oauth/tenant/acme/token', await f.fresh.client('uma')),
  'oauth.tokenProvider': async (f, who) => mint(f, who, '/oauth/provider/token', await f.fresh.client('provider')),
  'oauth.metadataTenant': () => ({ path: '/.well-known/oauth-authorization-server/oauth/tenant/acme' }),
  // A string that is no token: revocation answers 200 to anyone and revokes nothing.
  'oauth.revokeProvider': () => ({ path: '/oauth/provider/revoke', form: 'token=odt_not_a_token' }),
  'oauth.revokeTenant': () => ({ path: '/oauth/tenant/acme/revoke', form: 'token=odt_not_a_token' }),
  'oauth.introspectProvider': async (f) => introspection(f, '/oauth/provider/introspect'),
  'oauth.introspectTenant': async (f) => introspection(f, '/oauth/tenant/acme/introspect'),
  'tokens.get': (f) => ({ path: `${C}/tokens/${urn('token', f.ids.token)}` }),
  'tokens.revoke': async (f) => ({ path: `${C}/tokens/${urn('token', await f.fresh.token())}` }),
  // A user with one live token: a permitted caller must really revoke it, wherever it called from.
  'tokens.revokeAllOfUser': async (f) => ({
    path: `${C}/users/${urn('user', await f.fresh.userWithToken())}/tokens/revoke`,
    verify: (text) => (JSON.parse(text).revoked === 1 ? null : `expected {"revoked":1}, got ${text}`),
  }),
  'tokens.revokeApiTokensOfUser': async (f) => ({ path: `${C}/users/${urn('user', await f.fresh.userWithToken())}/revokeApiTokens` }),
  'apiTokenPolicy.get': (f) => ({ path: `${C}/orgs/${urn('org', f.acmeId)}/apiTokenPolicy` }),
  'apiTokenPolicy.update': async (f) => ({ path: `${C}/orgs/${urn('org', await f.fresh.org())}/apiTokenPolicy`, json: { maxLifetimeDays: 90 } }),
  'auditTrail.get': (f) => ({ path: `${C}/auditTrail/${urn('audit', f.ids.audit)}` }),
  'rights.get': (f) => ({ path: `${C}/rights/${urn('right', f.ids.right)}` }),
  'rightsCategories.get': (f) => ({ path: `${C}/rightsCategories/${urn('rightsCategory', f.ids.rightsCategory)}` }),
  'roles.create': (f) => ({ path: `${C}/roles`, json: { name: f.fresh.name('role'), description: 'made by the matrix' } }),
  'roles.get': (f) => ({ path: `${C}/roles/${urn('role', f.ids.role)}` }),
  'roles.update': async (f) => ({ path: `${C}/roles/${urn('role', await f.fresh.role())}`, json: { name: f.fresh.name('renamed-role'), description: 'changed' } }),
  'roles.delete': async (f) => ({ path: `${C}/roles/${urn('role', await f.fresh.role())}` }),
  'roles.rights.list': (f) => ({ path: `${C}/roles/${urn('role', f.ids.role)}/rights` }),
  'roles.rights.add': async (f) => ({ path: `${C}/roles/${urn('role', await f.fresh.role())}/rights`, json: rightValues(f) }),
  'roles.rights.replace': async (f) => ({ path: `${C}/roles/${urn('role', await f.fresh.role())}/rights`, json: rightValues(f) }),
  ...publishableRequests('globalRoles', 'globalRole', (f) => f.ids.globalRole, (f) => f.fresh.globalRole()),
  ...publishableRequests('rightsBundles', 'rightsBundle', (f) => f.ids.bundle, (f) => f.fresh.bundle()),
  'xml.org': (f) => ({ path: `/api/org/${f.acmeId}` }),
  'xml.query': () => ({ path: '/api/query?type=user&format=records' }),
  'xml.vApp': (f) => ({ path: `/api/vApp/vm-${f.ids.vm}` }),
  'xml.vm.powerOn': async (f) => ({ path: `/api/vApp/vm-${await f.fresh.vm('POWERED_OFF')}/power/action/powerOn` }),
  'xml.vm.powerOff': async (f) => ({ path: `/api/vApp/vm-${await f.fresh.vm('POWERED_ON')}/power/action/powerOff` }),
  'xml.task': (f) => ({ path: `/api/task/${f.ids.task}` }),
  'xml.vdc': (f) => ({ path: `/api/vdc/${f.ids.vdc}` }),
  'vdcs.get': (f) => ({ path: `${C}/vdcs/${urn('vdc', f.ids.vdc)}` }),
  'vdcs.create': (f) => ({ path: `${C}/vdcs`, json: { name: f.fresh.name('vdc'), org: { id: urn('org', f.acmeId) } } }),
  'vapps.get': (f) => ({ path: `${C}/vapps/${urn('vapp', f.ids.vapp)}` }),
  'vapps.create': (f) => ({ path: `${C}/vapps`, json: { name: f.fresh.name('vapp'), vdc: { id: urn('vdc', f.ids.vdc) } } }),
  'vms.get': (f) => ({ path: `${C}/vms/${urn('vm', f.ids.vm)}` }),
  'vms.create': (f) => ({ path: `${C}/vms`, json: { name: f.fresh.name('vm'), vapp: { id: urn('vapp', f.ids.vapp) }, guestOs: 'Other', cpuCount: 1, memoryMb: 512 } }),
  'orgs.create': (f) => ({ path: `${C}/orgs`, json: { name: f.fresh.name('org'), displayName: 'Made by the matrix' } }),
  'orgs.get': (f) => ({ path: `${C}/orgs/${urn('org', f.acmeId)}` }),
  'orgs.update': async (f) => ({ path: `${C}/orgs/${urn('org', await f.fresh.org())}`, json: { description: 'changed by the matrix' } }),
  'orgs.delete': async (f) => ({ path: `${C}/orgs/${urn('org', await f.fresh.org())}` }),
  'users.create': (f) => ({ path: `${C}/users`, json: { username: f.fresh.name('new-user'), password: TENANT_PASSWORD, enabled: true } }),
  'users.get': (f) => ({ path: `${C}/users/${urn('user', f.ids.uma)}` }),
  'users.update': async (f) => ({ path: `${C}/users/${urn('user', await f.fresh.user())}`, json: { fullName: 'Changed by the matrix' } }),
  'users.delete': async (f) => ({ path: `${C}/users/${urn('user', await f.fresh.user())}` }),
  // The caller's own password, set to itself: permitted callers succeed without changing anything.
  'users.changeOwnPassword': (_f, who) => ({
    path: `${C}/users/current/password`, freshSession: true,
    json: { oldPassword: ownPassword(who), newPassword: ownPassword(who) },
  }),
  'groups.create': (f) => ({ path: `${C}/groups`, json: { name: f.fresh.name('new-group') } }),
  'groups.get': (f) => ({ path: `${C}/groups/${urn('group', f.ids.group)}` }),
  'groups.update': async (f) => ({ path: `${C}/groups/${urn('group', await f.fresh.group())}`, json: { description: 'changed by the matrix' } }),
  'groups.delete': async (f) => ({ path: `${C}/groups/${urn('group', await f.fresh.group())}` }),
  'mfa.totp.start': () => ({ path: `${C}/mfa/totp` }),
  // A wrong code: permitted callers reach the check of the code, refused ones never do.
  'mfa.totp.confirm': () => ({ path: `${C}/mfa/totp/confirm`, json: { code: '000000' } }),
  'mfa.totp.remove': () => ({ path: `${C}/mfa/totp`, json: { code: '000000' } }),
  'users.resetMfa': async (f) => ({ path: `${C}/users/${urn('user', await f.fresh.user())}/mfa` }),
  'xml.admin.users.create': (f) => ({
    path: `/api/admin/org/${f.acmeId}/users`,
    xml: `<User ${VCLOUD} name="${f.fresh.name('xml-user')}"><IsEnabled>true</IsEnabled><Password>${TENANT_PASSWORD}</Password></User>`,
  }),
  'xml.admin.users.get': (f) => ({ path: `/api/admin/user/${f.ids.uma}` }),
  'xml.admin.users.update': async (f) => {
    const id = await f.fresh.user();
    const row = await f.db.selectFrom('users').select('username').where('id', '=', id).executeTakeFirstOrThrow();
    return { path: `/api/admin/user/${id}`, xml: `<User ${VCLOUD} name="${row.username}"><FullName>Changed</FullName><IsEnabled>true</IsEnabled></User>` };
  },
  'xml.admin.users.delete': async (f) => ({ path: `/api/admin/user/${await f.fresh.user()}` }),
  'xml.admin.users.takeOwnership': async (f) => ({ path: `/api/admin/user/${await f.fresh.user()}/action/takeOwnership` }),
  'xml.admin.org.get': (f) => ({ path: `/api/admin/org/${f.acmeId}` }),
  'portal.session.create': () => ({ path: '/portal/session', freshSession: true }),
  // Service accounts (issue 16): each write acts on a throwaway account of acme.
  'serviceAccounts.get': async (f) => ({ path: `${C}/serviceAccounts/${urn('serviceAccount', await freshServiceAccount(f, 'acme'))}` }),
  'serviceAccounts.update': async (f) => ({ path: `${C}/serviceAccounts/${urn('serviceAccount', await freshServiceAccount(f, 'acme'))}`, json: { uri: 'https://changed.example' } }),
  'serviceAccounts.revoke': async (f) => ({ path: `${C}/serviceAccounts/${urn('serviceAccount', await freshServiceAccount(f, 'acme'))}/revoke` }),
  'serviceAccounts.delete': async (f) => ({ path: `${C}/serviceAccounts/${urn('serviceAccount', await freshServiceAccount(f, 'acme'))}` }),
  'deviceLookup.lookup': async (f) => ({ path: `${C}/deviceLookup`, json: { userCode: await freshUserCode(f) } }),
  'deviceLookup.grant': async (f) => ({ path: `${C}/deviceLookup/grant`, json: { userCode: await freshUserCode(f) } }),
  'deviceLookup.deny': async (f) => ({ path: `${C}/deviceLookup/deny`, json: { userCode: await freshUserCode(f) } }),
  // The device authorization endpoint is public (RFC 8628 §3.1): a client_id is all it takes.
  'oauth.deviceAuthorizationTenant': async (f) => ({ path: '/oauth/tenant/acme/device_authorization', form: `client_id=${await freshServiceAccount(f, 'acme')}` }),
  'oauth.deviceAuthorizationProvider': async (f) => ({ path: '/oauth/provider/device_authorization', form: `client_id=${await freshServiceAccount(f, 'System')}` }),
};

/** A service account registered by the provider in acme (or System), status CREATED. */
async function freshServiceAccount(f: Fixtures, org: 'acme' | 'System'): Promise<string> {
  const role = org === 'acme' ? 'vApp%20User' : 'System%20Administrator';
  const res = await f.asProvider('POST', org === 'acme' ? '/oauth/tenant/acme/register' : '/oauth/provider/register', {
    json: { client_name: f.fresh.name('sa'), software_id: '5e0b7a1c-2d3f-4a5b-8c6d-7e8f9a0b1c2d', scope: `urn:vcloud:role:${role}` },
  });
  return res.json<{ client_id: string }>().client_id;
}

/** The user code of a fresh acme service account waiting for an administrator (REQUESTED). */
async function freshUserCode(f: Fixtures): Promise<string> {
  const res = await request(f.t.url, 'POST', '/oauth/tenant/acme/device_authorization', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `client_id=${await freshServiceAccount(f, 'acme')}`,
  });
  if (res.status !== 200) throw new Error(`device_authorization: ${res.status} ${res.text}`);
  return res.json<{ user_code: string }>().user_code;
}

function ownPassword(who: Who): string {
  return who === 'provider' || who === 'providerInTenant' ? ADMIN_PASSWORD : TENANT_PASSWORD;
}

function rightValues(f: Fixtures) {
  return { values: [{ name: 'vApp: View', id: urn('right', f.ids.right) }] };
}

async function mint(f: Fixtures, who: Who, path: string, clientId: string): Promise<CellRequest> {
  const assertion = await f.accessToken(who);
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_id: clientId, ...(assertion ? { assertion } : {}) });
  return { path, form: form.toString() };
}

function publishableRequests(prefix: string, type: string, existing: (f: Fixtures) => string, fresh: (f: Fixtures) => Promise<string>): Record<string, Builder> {
  const P = `${C}/${prefix}`;
  const at = async (f: Fixtures, suffix = '') => `${P}/${urn(type, await fresh(f))}${suffix}`;
  const tenants = (f: Fixtures) => ({ values: [{ name: 'acme', id: urn('org', f.acmeId) }] });
  return {
    [`${prefix}.create`]: (f) => ({ path: P, json: { name: f.fresh.name(type), description: 'made by the matrix' } }),
    [`${prefix}.get`]: (f) => ({ path: `${P}/${urn(type, existing(f))}` }),
    [`${prefix}.update`]: async (f) => ({ path: await at(f), json: { name: f.fresh.name(`renamed-${type}`), description: 'changed' } }),
    [`${prefix}.delete`]: async (f) => ({ path: await at(f) }),
    [`${prefix}.rights.list`]: (f) => ({ path: `${P}/${urn(type, existing(f))}/rights` }),
    [`${prefix}.rights.add`]: async (f) => ({ path: await at(f, '/rights'), json: rightValues(f) }),
    [`${prefix}.rights.replace`]: async (f) => ({ path: await at(f, '/rights'), json: rightValues(f) }),
    [`${prefix}.tenants.list`]: (f) => ({ path: `${P}/${urn(type, existing(f))}/tenants` }),
    [`${prefix}.tenants.replace`]: async (f) => ({ path: await at(f, '/tenants'), json: tenants(f) }),
    [`${prefix}.tenants.publish`]: async (f) => ({ path: await at(f, '/tenants/publish'), json: tenants(f) }),
    [`${prefix}.tenants.unpublish`]: async (f) => ({ path: await at(f, '/tenants/unpublish'), json: tenants(f) }),
    [`${prefix}.tenants.publishAll`]: async (f) => ({ path: await at(f, '/tenants/publishAll'), json: {} }),
    [`${prefix}.tenants.unpublishAll`]: async (f) => ({ path: await at(f, '/tenants/unpublishAll'), json: {} }),
  };
}

/** Introspects the acme token session's access token; a permitted caller must see it active. */
async function introspection(f: Fixtures, path: string): Promise<CellRequest> {
  const token = await f.accessToken('token');
  return {
    path, form: `token=${token}`,
    verify: (text) => (JSON.parse(text).active === true && JSON.parse(text).org === 'acme' ? null : `expected an active acme token, got ${text}`),
  };
}

/** Every route the server registers: the API table and the portal's session endpoints. */
const ROUTES: readonly RouteSpec[] = [...allRoutes, ...portalSessionRoutes];

/** Logins take Basic credentials, not a session: each principal logs in as itself. */
const LOGIN_ROUTES: ReadonlySet<string> = new Set(['xml.login', 'sessions.login', 'sessions.loginProvider']);

const TENANT_SIDE: ReadonlySet<Who> = new Set(['noRights', 'user', 'token', 'orgAdmin', 'providerInTenant']);

function acceptFor(route: RouteSpec): string {
  return route.family === 'xml' ? XML_ACCEPT : route.family === 'oauth' ? 'application/json' : JSON_ACCEPT;
}

function checkErrorShape(route: RouteSpec, status: number, text: string, cell: string): string[] {
  if (status < 400) return [];
  if (route.family === 'xml') return /<Error [^>]*majorErrorCode="\d{3}" minorErrorCode="[A-Z_]+"/.test(text) ? [] : [`${cell}: not an XML Error: ${text.slice(0, 200)}`];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [`${cell}: error body is not JSON: ${text.slice(0, 200)}`];
  }
  const ok = typeof body.minorErrorCode === 'string' && typeof body.message === 'string' && body.stackTrace === null
    && (route.family !== 'oauth' || typeof body.error === 'string');
  return ok ? [] : [`${cell}: wrong error shape: ${text.slice(0, 200)}`];
}

let t: TestServer;
let f: Fixtures;

beforeAll(async () => {
  t = await startTestServer({ rateLimitPerMinute: 100_000 });
  f = await buildFixtures(t);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('authorization matrix (issue 8)', () => {
  it('has one row of expectations for every route, and none for routes that do not exist', () => {
    const ids = ROUTES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !(id in EXPECTED)), 'routes without a row in EXPECTED').toEqual([]);
    expect(Object.keys(EXPECTED).filter((id) => !ids.includes(id)), 'rows for unknown routes').toEqual([]);
    expect(Object.keys(REQUESTS).filter((id) => !ids.includes(id)), 'request builders for unknown routes').toEqual([]);
    for (const [id, row] of Object.entries(EXPECTED)) expect(row.trim().split(/\s+/), id).toHaveLength(PRINCIPALS.length);
  });

  it('answers every route × principal cell as written down, with no cross-tenant read or write', async () => {
    const record = process.env.OD_MATRIX_RECORD === '1';
    const wrong: string[] = [];
    const recorded: string[] = [];
    let cells = 0;
    for (const route of ROUTES) {
      const expectedRow = (EXPECTED[route.id] ?? '').trim().split(/\s+/).map(Number);
      const actualRow: number[] = [];
      for (const [i, who] of PRINCIPALS.entries()) {
        const cell = `${route.id} × ${who}`;
        const build = REQUESTS[route.id];
        if (!build && route.path.includes(':')) throw new Error(`${route.id} has path parameters: add a request builder`);
        const req = build ? await build(f, who) : { path: route.path };
        const headers: Record<string, string> = { ...(await f.headers(who, req.freshSession ?? false)), accept: acceptFor(route) };
        let body: string | undefined;
        if (req.json !== undefined) {
          body = JSON.stringify(req.json);
          headers['content-type'] = 'application/json';
        } else if (req.xml !== undefined) {
          body = req.xml;
          headers['content-type'] = 'application/vnd.vmware.admin.user+xml';
        } else if (req.form !== undefined) {
          body = req.form;
          headers['content-type'] = 'application/x-www-form-urlencoded';
        }
        if (LOGIN_ROUTES.has(route.id) && who !== 'anon') {
          // A login's credential is Basic: each principal logs in as itself.
          headers.authorization = `Basic ${Buffer.from(who === 'provider' || who === 'providerInTenant' ? `administrator@System:${ADMIN_PASSWORD}` : loginOf(who)).toString('base64')}`;
        }
        const expected = expectedRow[i];
        // Only a cell meant to be refused needs the before/after comparison (a wrong status fails anyway).
        const before = record || (expected ?? 0) >= 400 ? await snapshot(f.db) : null;
        const res = await request(t.url, route.method, req.path, { headers, ...(body !== undefined ? { body } : {}) });
        cells++;
        actualRow.push(res.status);
        if (!record && res.status !== expected) wrong.push(`${cell}: expected ${String(expected)}, got ${res.status} ${res.text.slice(0, 200)}`);
        wrong.push(...checkErrorShape(route, res.status, res.text, cell));
        if (res.status >= 400 && before) {
          const after = await snapshot(f.db);
          for (const [table, content] of before) if (after.get(table) !== content) wrong.push(`${cell}: refused with ${res.status} but changed table ${table}`);
        } else if (req.verify?.(res.text)) {
          wrong.push(`${cell}: ${String(req.verify(res.text))}`);
        }
        // Provider-only objects (global roles, bundles, /api/admin) are the provider's whatever the
        // tenant context says; everything else seen in a tenant's context belongs to that tenant.
        if (res.status < 300 && (TENANT_SIDE.has(who) || who === 'otherAdmin') && !(who === 'providerInTenant' && route.providerOnly)) {
          const foreign = await idsOwnedBy(f.db, who === 'otherAdmin' ? f.acmeId : f.globexId);
          const leaked = foreign.filter((id) => res.text.includes(id));
          if (leaked.length > 0) wrong.push(`${cell}: answer holds ${leaked.length} id(s) of the other org, e.g. ${leaked[0]}`);
        }
        if (route.id === 'users.changeOwnPassword' && res.status < 300) await f.refresh();
      }
      recorded.push(`  '${route.id}': '${actualRow.join(' ')}',`);
    }
    if (record) console.info(recorded.join('\n'));
    expect(wrong).toEqual([]);
    console.info(`authorization matrix: ${ROUTES.length} routes × ${PRINCIPALS.length} principals = ${cells} cells`);
  }, 300_000);
});

describe('credential issuing re-checks the caller (issue 8)', () => {
  it('refuses the one-shot mint when the token right was taken away after registration', async () => {
    const db = t.server.services.db;
    const { orgId } = await createTenant(db, 'initech', { ivy: 'vApp User' });
    await publishTokenRightsBundle(db, orgId);
    const session = await login(t.url, 'ivy', 'initech', TENANT_PASSWORD);
    const reg = await request(t.url, 'POST', '/oauth/tenant/initech/register', { headers: bearer(session), json: { client_name: 'before-the-change' } });
    expect(reg.status, reg.text).toBe(200);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('rights_bundle_tenants').where('org_id', '=', orgId).execute();
      await bumpRbacVersion(trx);
    });
    const mintRes = await request(t.url, 'POST', '/oauth/tenant/initech/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: reg.json().client_id }).toString(),
    });
    expect(mintRes.status, mintRes.text).toBe(403);
    expect(mintRes.json()).toMatchObject({ error: 'access_denied', minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    const row = await db.selectFrom('api_tokens').select('secret_hash').where('id', '=', reg.json().client_id).executeTakeFirstOrThrow();
    expect(row.secret_hash).toBeNull();
  });
});

function loginOf(who: Who): string {
  const users: Partial<Record<Who, string>> = { noRights: 'nora@acme', user: 'uma@acme', token: 'uma@acme', orgAdmin: 'anna@acme', otherAdmin: 'gabe@globex' };
  return `${users[who] ?? ''}:${TENANT_PASSWORD}`;
}
