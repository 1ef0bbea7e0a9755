import { expect } from 'vitest';
import type { TestServer } from '../support/test-server.ts';
import { bearer, request, type TestResponse } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';

/**
 * Shared set-up of the RBAC suites: two tenant orgs written straight into the database (through
 * test/support/tenant.ts, independent of the org and user APIs), logins, and a small CloudAPI
 * client that sends what the Go SDK sends (JSON Accept with a version, bearer token).
 */
export const C = '/cloudapi/1.0.0';
export const FORBIDDEN = 'ACCESS_TO_RESOURCE_IS_FORBIDDEN';

export interface Api {
  get(path: string, headers?: Record<string, string>): Promise<TestResponse>;
  post(path: string, json: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  put(path: string, json: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  del(path: string, headers?: Record<string, string>): Promise<TestResponse>;
}

export function api(t: TestServer, token: string): Api {
  const h = (extra?: Record<string, string>) => ({ ...bearer(token), accept: 'application/json;version=37.0', ...extra });
  return {
    get: (path, headers) => request(t.url, 'GET', path, { headers: h(headers) }),
    post: (path, json, headers) => request(t.url, 'POST', path, { headers: h(headers), json }),
    put: (path, json, headers) => request(t.url, 'PUT', path, { headers: h(headers), json }),
    del: (path, headers) => request(t.url, 'DELETE', path, { headers: h(headers) }),
  };
}

export interface RbacWorld {
  acmeId: string;
  globexId: string;
  users: Record<string, string>;
  /** Lazily logged-in sessions (access tokens), one per user. */
  session(user: 'admin' | 'alice' | 'bob' | 'carol' | 'gina'): Promise<string>;
}

/**
 * acme: alice (Organization Administrator), bob (vApp Author: Role: View but not Right: View),
 * carol (Console Access Only: neither). globex: gina (Organization Administrator).
 */
export async function createRbacWorld(t: TestServer): Promise<RbacWorld> {
  const db = t.server.services.db;
  const acme = await createTenant(db, 'acme', { alice: 'Organization Administrator', bob: 'vApp Author', carol: 'Console Access Only' });
  const globex = await createTenant(db, 'globex', { gina: 'Organization Administrator' });
  const sessions = new Map<string, Promise<string>>();
  return {
    acmeId: acme.orgId,
    globexId: globex.orgId,
    users: { ...acme.userIds, ...globex.userIds },
    session(user) {
      let s = sessions.get(user);
      if (!s) {
        s = user === 'admin' ? loginAdmin(t.url) : login(t.url, user, user === 'gina' ? 'globex' : 'acme', TENANT_PASSWORD);
        sessions.set(user, s);
      }
      return s;
    },
  };
}

/** A session minted from a new API token of the given session's user (spec §8). */
export async function tokenDerivedSession(t: TestServer, sessionToken: string, org: string, name: string): Promise<string> {
  const { token } = await createApiToken(t.url, sessionToken, org, name);
  return exchange(t.url, org, token);
}

/** Lets a tenant org's users hold the API-token rights (seed 000), by a direct database write. */
export function allowTokenRights(t: TestServer, orgId: string): Promise<void> {
  return publishTokenRightsBundle(t.server.services.db, orgId);
}

/** Asserts the CloudAPI error body (spec §6.3). */
export function expectError(res: TestResponse, status: number, minorErrorCode: string, message?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  const body = res.json<{ minorErrorCode: string; message: string; stackTrace: null }>();
  expect(body.minorErrorCode).toBe(minorErrorCode);
  expect(body.stackTrace).toBeNull();
  if (message) expect(body.message).toMatch(message);
}

/** Asserts the token-session denial (spec §8.3). */
export function expectTokenSessionDenial(res: TestResponse): void {
  expectError(res, 403, FORBIDDEN, /not allowed in a session created from an API token/);
}

/** Audit rows of one event type, newest last. */
export function auditRows(t: TestServer, eventType: string) {
  return t.server.services.db.selectFrom('audit_events').selectAll().where('event_type', '=', eventType).orderBy('seq').execute();
}

export async function rbacVersion(t: TestServer): Promise<number> {
  const row = await t.server.services.db.selectFrom('rbac_version').select('version').where('id', '=', 1).executeTakeFirstOrThrow();
  return Number(row.version);
}

/** Query string the way the Go SDK's url.Values.Encode() writes it (spaces as '+'). */
export function q(params: Record<string, string>): string {
  return `?${new URLSearchParams(params).toString()}`;
}
