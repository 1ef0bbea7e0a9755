import { expect } from 'vitest';
import type { TestServer } from '../support/test-server.ts';
import { bearer, request, type TestResponse } from '../support/http-client.ts';

/**
 * Shared by the org, user, group, MFA, XML-admin and isolation suites: a CloudAPI client that
 * sends what the Go SDK sends (versioned JSON Accept, bearer token), and org/user creation
 * through the APIs under test.
 */
export const C = '/cloudapi/1.0.0';
export const FORBIDDEN = 'ACCESS_TO_RESOURCE_IS_FORBIDDEN';
export const USER_PASSWORD = 'user-Passw0rd!';

export interface Api {
  get(path: string, headers?: Record<string, string>): Promise<TestResponse>;
  post(path: string, json?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  put(path: string, json: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  del(path: string, json?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
}

export function api(t: TestServer, token: string, extra: Record<string, string> = {}): Api {
  const h = (more?: Record<string, string>) => ({ ...bearer(token), accept: 'application/json;version=37.0', ...extra, ...more });
  const withBody = (json: unknown) => (json === undefined ? {} : { json });
  return {
    get: (path, headers) => request(t.url, 'GET', path, { headers: h(headers) }),
    post: (path, json, headers) => request(t.url, 'POST', path, { headers: h(headers), ...withBody(json) }),
    put: (path, json, headers) => request(t.url, 'PUT', path, { headers: h(headers), json }),
    del: (path, json, headers) => request(t.url, 'DELETE', path, { headers: h(headers), ...withBody(json) }),
  };
}

/** Tenant-context header a provider sends to act in a tenant (spec §3.9; the Go SDK sends the bare UUID). */
export function inTenant(orgId: string): Record<string, string> {
  return { 'x-vmware-vcloud-tenant-context': orgId };
}

/** Creates a tenant org through POST /cloudapi/1.0.0/orgs; returns its UUID. */
export async function createOrgViaApi(provider: Api, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await provider.post(`${C}/orgs/`, { name, displayName: `${name} Inc.`, ...extra });
  expect(res.status, res.text).toBe(201);
  return (res.json<{ id: string }>().id).split(':')[3] as string;
}

/** Creates a user in a tenant as the provider (tenant context), with one role by name; returns its UUID. */
export async function createUserViaApi(
  provider: Api, orgId: string, username: string, roleName = 'Organization Administrator', extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await provider.post(`${C}/users/`, { username, password: USER_PASSWORD, roleEntityRefs: [{ name: roleName }], ...extra }, inTenant(orgId));
  expect(res.status, res.text).toBe(201);
  return (res.json<{ id: string }>().id).split(':')[3] as string;
}

/** The audit events of one type, newest last (read straight from the table). */
export async function auditEvents(t: TestServer, eventType: string) {
  return t.server.services.db.selectFrom('audit_events').selectAll().where('event_type', '=', eventType).orderBy('seq').execute();
}
