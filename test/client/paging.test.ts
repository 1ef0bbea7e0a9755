import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect, fiqlAnd, fiqlEquals, fiqlOr, fromAccessToken, login, parseLinkHeader, type FetchLike, type OpenDirectorClient,
} from '../../src/client/index.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { recordingFetch } from './recording-fetch.fixture.ts';

describe('parseLinkHeader', () => {
  it('splits joined Link headers on entries, not on commas inside URLs', () => {
    const joined = '<https://h/cloudapi/1.0.0/tokens?filter=a%2Cb&page=2>;rel="nextPage";type="application/json";model="Tokens", '
      + '<https://h/x?f=a,b&page=5>;rel="lastPage";type="application/json"';
    expect(parseLinkHeader(joined)).toEqual([
      { url: 'https://h/cloudapi/1.0.0/tokens?filter=a%2Cb&page=2', rel: 'nextPage', params: { rel: 'nextPage', type: 'application/json', model: 'Tokens' } },
      { url: 'https://h/x?f=a,b&page=5', rel: 'lastPage', params: { rel: 'lastPage', type: 'application/json' } },
    ]);
    expect(parseLinkHeader(null)).toEqual([]);
  });
});

describe('FIQL helpers', () => {
  it('escape the characters FIQL reserves and parenthesise composite parts', () => {
    expect(fiqlEquals('name', 'a,b;c(d)*e\\')).toBe('name==a\\,b\\;c\\(d\\)\\*e\\\\');
    expect(fiqlAnd(fiqlEquals('name', 'x'), undefined, false, fiqlOr('type==PROXY', 'type==REFRESH'))).toBe('name==x;(type==PROXY,type==REFRESH)');
    expect(fiqlAnd(undefined, '')).toBeUndefined();
  });
});

describe('paging over a real server', () => {
  let t: TestServer;
  let admin: OpenDirectorClient;
  beforeAll(async () => {
    t = await startTestServer();
    admin = await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD });
    for (let i = 0; i < 4; i++) await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD });
    for (const name of ['alpha', 'beta', 'gamma']) await admin.tokens.create(name);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('iterates every audit event across pages by following Link rel="nextPage"', async () => {
    const rec = recordingFetch();
    const od = fromAccessToken({ url: t.url, org: 'System', accessToken: await admin.accessToken(), fetch: rec.fetch });
    const first = await od.auditTrail.list({ pageSize: 2 });
    expect(first.pageCount).toBeGreaterThan(2);
    const all = await collect(od.auditTrail.iterateAll({ pageSize: 2 }));
    expect(all).toHaveLength(first.resultTotal);
    expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
    expect(rec.count('GET', '/cloudapi/1.0.0/auditTrail')).toBe(1 + first.pageCount);
    expect(rec.calls.at(-1)?.path).toContain(`page=${first.pageCount}`);
  });

  it('filters the audit trail with its helpers', async () => {
    const logins = await collect(admin.auditTrail.iterateAll({ eventType: 'com/vmware/cloud/event/session/login', user: 'administrator', after: new Date(Date.now() - 3_600_000) }));
    expect(logins.length).toBe(5);
    expect(logins.every((e) => e.eventType === 'com/vmware/cloud/event/session/login' && e.user?.name === 'administrator')).toBe(true);
  });

  it('iterates tokens one per page', async () => {
    expect((await collect(admin.tokens.iterateAll({ pageSize: 1, sortAsc: 'name' }))).map((tk) => tk.name)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('never sends credentials to a nextPage link on another origin: it asks its own server for page + 1', async () => {
    const seen: string[] = [];
    const fake: FetchLike = async (input, init) => {
      seen.push(`${input} ${String((init.headers as Record<string, string>).authorization)}`);
      const page = Number(new URL(input).searchParams.get('page') ?? '1');
      const body = { resultTotal: 2, pageCount: 2, page, pageSize: 1, associations: null, values: [{ n: page }] };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (page === 1) headers.link = '<https://evil.example/cloudapi/1.0.0/tokens?page=2>;rel="nextPage"';
      return new Response(JSON.stringify(body), { status: 200, headers });
    };
    const od = fromAccessToken({ url: 'https://vcd.example.net', org: 'acme', accessToken: 'secret', fetch: fake });
    expect(await collect(od.tokens.iterateAll({ pageSize: 1 }))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(seen).toEqual([
      'https://vcd.example.net/cloudapi/1.0.0/tokens?pageSize=1 Bearer secret',
      'https://vcd.example.net/cloudapi/1.0.0/tokens?pageSize=1&page=2 Bearer secret',
    ]);
  });
});
