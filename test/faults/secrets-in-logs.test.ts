import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createLogger } from '../../src/server.ts';
import { currentTotpCode, newTotpSecret } from '../../src/identity/totp.ts';
import { startTestServer, ADMIN_PASSWORD, type TestServer } from '../support/test-server.ts';
import { basic, bearer, request, type TestResponse } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';

/**
 * Issue 8, "secrets never leak": a realistic end-to-end flow runs against a server logging at
 * `trace` into memory; afterwards every log line and every audit event is searched for every
 * secret the flow used (passwords, TOTP secret and codes, API tokens, access tokens, legacy
 * tokens), including the wrong ones an attacker would send. Zero hits.
 */

const logLines: string[] = [];
const captureStream = { write: (line: string) => void logLines.push(line) };

let t: TestServer;
const secrets = new Map<string, string>();
/** Remembers a secret under a label (the label names it in a failure message). */
function secret(label: string, value: string): string {
  expect(value.length, label).toBeGreaterThanOrEqual(6);
  secrets.set(label, value);
  return value;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const JSON_37 = { accept: 'application/json;version=37.0' };
const WRONG_PASSWORD = 'Wrong-Passw0rd-guess!';
let aliceTotpSecret: string;
let aliceId: string;

/** TOTP codes of a fixed future step, so the test never depends on where in a 30 s window it runs. */
function codeAtStep(step: number): string {
  return currentTotpCode(aliceTotpSecret, step * 30_000);
}
/** Allows alice's next TOTP login with the code of `step` (the replay guard remembers the last). */
async function allowStep(step: number): Promise<void> {
  await t.server.services.db.updateTable('users').set({ totp_last_step: step - 1, totp_failures: 0, locked: 0 }).where('id', '=', aliceId).execute();
}

beforeAll(async () => {
  t = await startTestServer({}, { logger: createLogger('trace', captureStream) });
  secret('admin password', ADMIN_PASSWORD);
  secret('tenant password', TENANT_PASSWORD);
  secret('wrong password', WRONG_PASSWORD);
  const acme = await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator' });
  await createTenant(t.server.services.db, 'globex', { gina: 'Organization Administrator' });
  await publishTokenRightsBundle(t.server.services.db, acme.orgId);
  aliceId = acme.userIds.alice as string;
  aliceTotpSecret = secret('alice TOTP secret', newTotpSecret());
  // Enrolment has its own API and tests; here the factor is set directly.
  await t.server.services.db.updateTable('users').set({ totp_secret: aliceTotpSecret, totp_enabled: 1 }).where('id', '=', aliceId).execute();
});
afterAll(async () => {
  await t?.close();
});

/** The whole flow; each step's status is asserted so the scan runs over the paths it claims to. */
async function runFlow(): Promise<void> {
  const url = t.url;
  const nowStep = Math.floor(Date.now() / 30_000);
  const expectStatus = (res: TestResponse, status: number) => expect(res.status, res.text).toBe(status);

  // Logins: provider (CloudAPI and legacy XML), failed ones, tenant with a second factor.
  const admin = secret('admin access token', await loginAdmin(url));
  const legacy = await request(url, 'POST', '/api/sessions', { headers: { authorization: basic('administrator', 'System', ADMIN_PASSWORD), accept: 'application/*+xml;version=36.0' } });
  expectStatus(legacy, 200);
  secret('legacy token', legacy.headers.get('x-vcloud-authorization') as string);
  secret('legacy access token', legacy.headers.get('x-vmware-vcloud-access-token') as string);
  expectStatus(await request(url, 'GET', '/api/session', { headers: { 'x-vcloud-authorization': secrets.get('legacy token') as string, accept: 'application/*+xml;version=36.0' } }), 200);
  for (const path of ['/cloudapi/1.0.0/sessions', '/cloudapi/1.0.0/sessions/provider', '/api/sessions']) {
    const failed = await request(url, 'POST', path, { headers: { authorization: basic('alice', 'acme', WRONG_PASSWORD), ...JSON_37 } });
    expectStatus(failed, 401);
  }
  expectStatus(await request(url, 'POST', '/cloudapi/1.0.0/sessions/provider', { headers: { authorization: basic('administrator', 'System', WRONG_PASSWORD), ...JSON_37 } }), 401);
  expectStatus(await request(url, 'POST', '/cloudapi/1.0.0/sessions', { headers: { authorization: basic('alice', 'acme', TENANT_PASSWORD), ...JSON_37 } }), 401);
  const wrongCode = secret('wrong TOTP code', codeAtStep(nowStep + 40));
  expectStatus(await request(url, 'POST', '/cloudapi/1.0.0/sessions', { headers: { authorization: basic('alice', 'acme', TENANT_PASSWORD), 'x-opendirector-otp': wrongCode, ...JSON_37 } }), 401);
  await allowStep(nowStep);
  const alice = secret('alice access token', await login(url, 'alice', 'acme', TENANT_PASSWORD, secret('TOTP code 1', codeAtStep(nowStep))));
  // The same code again is a replay.
  const replay = await request(url, 'POST', '/cloudapi/1.0.0/sessions', { headers: { authorization: basic('alice', 'acme', TENANT_PASSWORD), 'x-opendirector-otp': codeAtStep(nowStep), ...JSON_37 } });
  expectStatus(replay, 401);
  await allowStep(nowStep + 1);
  const alice2 = secret('alice second access token', await login(url, 'alice', 'acme', TENANT_PASSWORD, secret('TOTP code 2', codeAtStep(nowStep + 1))));

  // API tokens: create, exchange, use (bearer on CloudAPI and XML), list, then revoke.
  const ci = await createApiToken(url, alice, 'acme', 'ci-pipeline');
  secret('tenant API token', ci.token);
  secret('tenant API token secret part', ci.token.slice(4));
  const spare = await createApiToken(url, alice2, 'acme', 'spare');
  secret('spare API token', spare.token);
  const provider = await createApiToken(url, admin, 'System', 'provider-automation');
  secret('provider API token', provider.token);
  const access = secret('token access token', await exchange(url, 'acme', ci.token));
  secret('token access token signature', access.split('.')[2] as string);
  const providerAccess = secret('provider token access token', await exchange(url, 'System', provider.token));
  expectStatus(await request(url, 'GET', '/cloudapi/1.0.0/tokens', { headers: { ...bearer(access), ...JSON_37 } }), 200);
  expectStatus(await request(url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { 'x-vmware-vcloud-access-token': access, ...JSON_37 } }), 200);
  expectStatus(await request(url, 'GET', '/api/session', { headers: { ...bearer(access), accept: 'application/*+xml;version=36.0' } }), 200);
  expectStatus(await request(url, 'GET', '/cloudapi/1.0.0/tokens', { headers: { ...bearer(providerAccess), ...JSON_37 } }), 200);
  expectStatus(await request(url, 'GET', '/cloudapi/1.0.0/auditTrail', { headers: { ...bearer(admin), ...JSON_37 } }), 200);

  // Refused exchanges: flipped character, wrong org, token in the query string, a JSON body.
  const flipped = secret('flipped API token', ci.token.slice(0, 50) + (ci.token[50] === 'a' ? 'b' : 'a') + ci.token.slice(51));
  expectStatus(await request(url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${flipped}` }), 400);
  expectStatus(await request(url, 'POST', '/oauth/tenant/globex/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${ci.token}` }), 400);
  expectStatus(await request(url, 'POST', `/oauth/tenant/acme/token?refresh_token=${spare.token}&grant_type=refresh_token`, { headers: FORM }), 200);
  expectStatus(await request(url, 'POST', '/oauth/tenant/acme/token', { json: { grant_type: 'refresh_token', refresh_token: spare.token } }), 400);
  // A second mint of an already issued token, and a mint with someone else's assertion.
  expectStatus(await request(url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: alice, client_id: ci.id }).toString() }), 400);
  // Bad bearer credentials: a flipped access token and a garbage legacy token.
  const badAccess = secret('flipped access token', access.slice(0, -3) + (access.endsWith('AAA') ? 'BBB' : 'AAA'));
  expectStatus(await request(url, 'GET', '/cloudapi/1.0.0/tokens', { headers: { ...bearer(badAccess), ...JSON_37 } }), 401);
  expectStatus(await request(url, 'GET', '/api/session', { headers: { 'x-vcloud-authorization': 'f'.repeat(32) } }), 401);

  // User changes: a user created with a password (CloudAPI and XML), a password change (and a
  // refused one), TOTP enrolment through the API with its secret and code.
  const acmeId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id;
  const inAcme = { ...bearer(admin), ...JSON_37, 'x-vmware-vcloud-tenant-context': acmeId };
  const victorPassword = secret('created user password', 'Victor-first-Passw0rd!');
  expectStatus(await request(url, 'POST', '/cloudapi/1.0.0/users', { headers: inAcme, json: { username: 'victor', password: victorPassword, enabled: true } }), 201);
  const xmlPassword = secret('XML user password', 'Xml-user-Passw0rd!');
  expectStatus(await request(url, 'POST', `/api/admin/org/${acmeId}/users`, {
    headers: { ...bearer(admin), accept: 'application/*+xml;version=36.0', 'content-type': 'application/vnd.vmware.admin.user+xml' },
    body: `<User xmlns="http://www.vmware.com/vcloud/v1.5" name="xavier"><IsEnabled>true</IsEnabled><Password>${xmlPassword}</Password></User>`,
  }), 201);
  const victor = await login(url, 'victor', 'acme', victorPassword);
  const changedPassword = secret('changed password', 'Victor-second-Passw0rd!');
  expectStatus(await request(url, 'PUT', '/cloudapi/1.0.0/users/current/password', { headers: { ...bearer(victor), ...JSON_37 }, json: { oldPassword: WRONG_PASSWORD, newPassword: 'Never-used-Passw0rd!' } }), 400);
  secret('refused new password', 'Never-used-Passw0rd!');
  expectStatus(await request(url, 'PUT', '/cloudapi/1.0.0/users/current/password', { headers: { ...bearer(victor), ...JSON_37 }, json: { oldPassword: victorPassword, newPassword: changedPassword } }), 204);
  const victor2 = await login(url, 'victor', 'acme', changedPassword);
  const enrolment = await request(url, 'POST', '/cloudapi/1.0.0/mfa/totp', { headers: { ...bearer(victor2), ...JSON_37 } });
  expectStatus(enrolment, 200);
  const enrolSecret = secret('enrolled TOTP secret', enrolment.json<{ secret: string }>().secret);
  const enrolCode = secret('enrolment code', currentTotpCode(enrolSecret, (nowStep + 1) * 30_000));
  expectStatus(await request(url, 'POST', '/cloudapi/1.0.0/mfa/totp/confirm', { headers: { ...bearer(victor2), ...JSON_37 }, json: { code: enrolCode } }), 200);

  // Introspection (issue 16): answered, refused for a bad caller; revocation by presentation of an
  // API token, an access token and a string that is none, one of them in the query string.
  expectStatus(await request(url, 'POST', '/oauth/provider/introspect', { headers: { ...FORM, ...bearer(admin) }, body: `token=${access}` }), 200);
  expectStatus(await request(url, 'POST', '/oauth/provider/introspect', { headers: { ...FORM, ...bearer(admin) }, body: `token=${spare.token}&token_type_hint=refresh_token` }), 200);
  expectStatus(await request(url, 'POST', '/oauth/provider/introspect', { headers: { ...FORM, ...bearer(badAccess) }, body: `token=${access}` }), 401);
  expectStatus(await request(url, 'POST', '/oauth/tenant/acme/revoke', { headers: FORM, body: `token=${spare.token}` }), 200);
  expectStatus(await request(url, 'POST', '/oauth/provider/revoke', { headers: FORM, body: `token=${providerAccess}&token_type_hint=access_token` }), 200);
  expectStatus(await request(url, 'POST', `/oauth/tenant/globex/revoke?token=${flipped}`, { headers: FORM }), 200);

  // Revocation, then the revoked token and its access token are refused.
  const revoke = await request(url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${ci.id}`, { headers: bearer(alice) });
  expectStatus(revoke, 204);
  expectStatus(await request(url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${ci.token}` }), 400);
  expectStatus(await request(url, 'GET', '/cloudapi/1.0.0/tokens', { headers: { ...bearer(access), ...JSON_37 } }), 401);
  expectStatus(await request(url, 'DELETE', '/cloudapi/1.0.0/sessions/current', { headers: bearer(alice2) }), 204);
  expectStatus(await request(url, 'DELETE', '/api/session', { headers: { 'x-vcloud-authorization': secrets.get('legacy token') as string } }), 204);
}

/** Where a secret shows up in `text`; TOTP codes only as whole numbers (timestamps hold digits). */
function hits(text: string, where: string): string[] {
  const found: string[] = [];
  for (const [label, value] of secrets) {
    const isCode = /^\d{6}$/.test(value);
    const seen = isCode ? new RegExp(`(?<!\\d)${value}(?!\\d)`).test(text) : text.includes(value);
    if (seen) found.push(`${label} in ${where}: ${text.slice(0, 300)}`);
  }
  return found;
}

describe('secrets never reach logs or the audit trail (issue 8)', () => {
  it('logs and audits a full flow at trace level without a single password, code or token', async () => {
    await runFlow();
    await t.server.services.apiTokens.lastUse.flush();
    expect(logLines.length).toBeGreaterThan(0);
    const events = await t.server.services.db.selectFrom('audit_events').selectAll().execute();
    // Failed logins, refused exchanges, second-factor rejections, creations, revocations.
    expect(new Set(events.map((e) => e.event_type)).size).toBeGreaterThanOrEqual(6);
    const found = [
      ...logLines.flatMap((line, i) => hits(line, `log line ${i}`)),
      ...events.flatMap((e) => hits(JSON.stringify(e), `audit event ${e.event_type}`)),
    ];
    // Session rows hold hashes only; a legacy token or access token is never stored either.
    const sessions = await sql<Record<string, unknown>>`select * from sessions`.execute(t.server.services.db);
    const tokens = await sql<Record<string, unknown>>`select * from api_tokens`.execute(t.server.services.db);
    found.push(...hits(JSON.stringify(sessions.rows), 'sessions table'), ...hits(JSON.stringify(tokens.rows), 'api_tokens table'));
    expect(found).toEqual([]);
    console.info(`secrets scan: ${secrets.size} secrets × (${logLines.length} log lines + ${events.length} audit events): 0 hits`);
  });
});
