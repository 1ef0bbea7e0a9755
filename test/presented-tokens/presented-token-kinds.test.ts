import { describe, expect, it } from 'vitest';
import {
  introspectPresentedToken, kindsFor, presentedTokenKinds, revokePresentedToken,
  type ActiveTokenFacts, type PresentedTokenDeps, type PresentedTokenKind, type RevocationOutcome,
} from '../../src/presented-tokens/index.ts';
import type { Principal } from '../../src/sessions/principal.ts';
import { generateApiToken } from '../../src/tokens/api-token-format.ts';

/**
 * The dispatch on the kind of a presented token (issue 16): the shape picks the candidates, the
 * hint orders them, and a kind that does not find the token hands it to the next — so a service
 * account's refresh token can be added as one more kind, even sharing another kind's shape.
 */
const API_TOKEN = generateApiToken().token;
const noDeps = {} as PresentedTokenDeps;
const facts = (orgId: string): ActiveTokenFacts => ({
  tokenType: 'refresh_token', orgId, orgName: 'acme', userId: 'u-1', username: 'svc', clientId: 'c-1',
  issuedAtSeconds: 1, expiresAtSeconds: 2, scope: 'urn:vcloud:role:Gateway', jti: null,
});

/** A kind recognising every `odt_` string that finds (and revokes) only the given one. */
function fakeKind(name: string, owns: string, calls: string[]): PresentedTokenKind {
  return {
    kind: name, hints: [name],
    recognises: (token) => token.startsWith('odt_'),
    async inspect(token) {
      calls.push(`${name}.inspect`);
      return token === owns ? { found: true, active: facts('org-a') } : { found: false, active: null };
    },
    async revoke(token): Promise<RevocationOutcome> {
      calls.push(`${name}.revoke`);
      return token === owns ? 'revoked' : 'not_found';
    },
  };
}

const caller = (orgId: string, isProvider = false) => ({ orgId, isProvider }) as Principal;

describe('the kinds of presented token', () => {
  it('tells API tokens, access tokens and legacy tokens apart by shape, and recognises nothing else', () => {
    expect(kindsFor(API_TOKEN, undefined).map((k) => k.kind)).toEqual(['api_token']);
    expect(kindsFor('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', undefined).map((k) => k.kind)).toEqual(['access_token']);
    const flipped = API_TOKEN.slice(0, 8) + (API_TOKEN[8] === 'a' ? 'b' : 'a') + API_TOKEN.slice(9);
    for (const other of [flipped, '', 'odt_', 'a.b', 'a..c', 'x'.repeat(5000), 'Bearer a.b.c', '0123456789ABCDEF0123456789ABCDEF']) expect(kindsFor(other, undefined)).toEqual([]);
    expect(kindsFor('0123456789abcdef0123456789abcdef', undefined).map((k) => k.kind)).toEqual(['legacy_token']);
    expect(kindsFor(`odsa_${'A1b2'.repeat(8)}`, undefined).map((k) => k.kind)).toEqual(['service_account_refresh_token']);
    expect(presentedTokenKinds.map((k) => k.kind)).toEqual(['api_token', 'service_account_refresh_token', 'access_token', 'legacy_token']);
  });

  it('asks the hinted kind first and ignores a hint no kind has', () => {
    const kinds = [fakeKind('refresh_token', 'x', []), fakeKind('service_account', 'y', [])];
    expect(kindsFor('odt_a', 'service_account', kinds).map((k) => k.kind)).toEqual(['service_account', 'refresh_token']);
    expect(kindsFor('odt_a', 'nonsense', kinds).map((k) => k.kind)).toEqual(['refresh_token', 'service_account']);
  });

  it('hands a token one kind does not find to the next kind that shares its shape', async () => {
    const calls: string[] = [];
    const kinds = [fakeKind('first', 'odt_one', calls), fakeKind('second', 'odt_two', calls)];
    const by = { clientIp: '192.0.2.1', endpoint: '/oauth/provider/revoke' };
    expect(await revokePresentedToken(noDeps, 'odt_two', undefined, by, kinds)).toBe('revoked');
    expect(calls).toEqual(['first.revoke', 'second.revoke']);
    expect(await revokePresentedToken(noDeps, 'odt_three', undefined, by, kinds)).toBe('not_found');
    const described = await introspectPresentedToken(noDeps, caller('org-a'), 'odt_two', undefined, () => 'https://x/oauth/tenant/acme', kinds);
    expect(described).toMatchObject({ active: true, scope: 'urn:vcloud:role:Gateway', client_id: 'c-1', exp: 2, sub: 'urn:vcloud:user:u-1' });
  });

  it('answers {"active": false} alone for a token of another org unless the caller is the provider', async () => {
    const kinds = [fakeKind('only', 'odt_one', [])];
    expect(await introspectPresentedToken(noDeps, caller('org-b'), 'odt_one', undefined, () => 'i', kinds)).toEqual({ active: false });
    expect((await introspectPresentedToken(noDeps, caller('system', true), 'odt_one', undefined, () => 'i', kinds)).active).toBe(true);
    expect(await introspectPresentedToken(noDeps, caller('org-a'), 'odt_unknown', undefined, () => 'i', kinds)).toEqual({ active: false });
  });
});
