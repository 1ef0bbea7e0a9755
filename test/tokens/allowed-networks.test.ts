import { describe, expect, it } from 'vitest';
import { NetworkMatcher, parseAllowedNetworks } from '../../src/tokens/allowed-networks.ts';
import { effectiveExpiryMs, readTokenLimits, tokenRefusal, type TokenGovernanceRow } from '../../src/tokens/token-limits.ts';
import { NO_POLICY } from '../../src/tokens/api-token-policy.ts';

describe('allowed networks (issue 17)', () => {
  it('canonicalises CIDRs and bare addresses, IPv4 and IPv6, and drops duplicates', () => {
    expect(parseAllowedNetworks(['10.0.0.0/8', '192.0.2.7', '2001:DB8::/32', '::1', ' 10.0.0.0/8 '])).toEqual(['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '::1/128']);
  });

  it('refuses anything else with the field named', () => {
    for (const bad of [[], 'x', ['10.0.0.0/33'], ['::/129'], ['example.com'], ['10.0.0/8'], [7], Array.from({ length: 65 }, (_, i) => `10.0.0.${i}`)]) {
      expect(() => parseAllowedNetworks(bad), JSON.stringify(bad)).toThrow(/allowed_networks/);
    }
  });

  it('matches addresses of either family; an IPv4-mapped IPv6 client matches IPv4 networks', () => {
    const m = new NetworkMatcher(['127.0.0.2/32', '10.1.0.0/16', '2001:db8::/32']);
    expect(m.allows('127.0.0.2')).toBe(true);
    expect(m.allows('127.0.0.3')).toBe(false);
    expect(m.allows('10.1.255.1')).toBe(true);
    expect(m.allows('::ffff:10.1.2.3')).toBe(true);
    expect(m.allows('2001:db8:1::5')).toBe(true);
    expect(m.allows('2001:db9::5')).toBe(false);
    expect(m.allows('not-an-address')).toBe(false);
  });
});

describe('token limits', () => {
  const now = new Date('2027-01-01T00:00:00.000Z');
  const owner = new Set(['vApp: View', 'API Tokens: Manage']);

  it('a token asking for nothing, with no policy, has no limits', () => {
    expect(readTokenLimits({ client_name: 'x' }, { now, policy: NO_POLICY, ownerRights: owner }))
      .toEqual({ expiresAt: null, allowedNetworks: null, access: 'full', rights: null });
  });

  it('accepts RFC 3339 with any zone and normalises it; the policy default fills a missing expiry', () => {
    expect(readTokenLimits({ expires_at: '2027-01-02T01:00:00+01:00' }, { now, policy: NO_POLICY, ownerRights: owner }).expiresAt).toBe('2027-01-02T00:00:00.000Z');
    expect(readTokenLimits({}, { now, policy: { ...NO_POLICY, defaultLifetimeDays: 10 }, ownerRights: owner }).expiresAt).toBe('2027-01-11T00:00:00.000Z');
    expect(readTokenLimits({}, { now, policy: { ...NO_POLICY, maxLifetimeDays: 5 }, ownerRights: owner }).expiresAt).toBe('2027-01-06T00:00:00.000Z');
    expect(() => readTokenLimits({ expires_at: '2027-01-02' }, { now, policy: NO_POLICY, ownerRights: owner })).toThrow(/expires_at/);
    expect(() => readTokenLimits({ expires_at: '2027-01-07T00:00:01Z' }, { now, policy: { ...NO_POLICY, maxLifetimeDays: 6 }, ownerRights: owner })).toThrow(/maximum/);
  });

  it('refuses rights the owner does not hold', () => {
    expect(() => readTokenLimits({ rights: ['Group / User: Manage'] }, { now, policy: NO_POLICY, ownerRights: owner })).toThrow(/rights/);
    expect(readTokenLimits({ rights: ['vApp: View', 'vApp: View'] }, { now, policy: NO_POLICY, ownerRights: owner }).rights).toEqual(['vApp: View']);
  });

  it('decides refusals: policy, expiry (own or creation + maximum), idle at the exchange only, networks', () => {
    const row: TokenGovernanceRow = {
      createdAt: '2026-12-01T00:00:00.000Z', expiresAt: null, allowedNetworks: null, lastUsedAt: null, mintedAt: null,
      policyEnabled: null, policyMaxLifetimeDays: null, policyIdleExpiryDays: null, policyRequireNetworks: null,
    };
    const at = now.getTime();
    expect(tokenRefusal(row, at, '127.0.0.1', true)).toBeNull();
    expect(tokenRefusal({ ...row, policyEnabled: 0 }, at, null, false)).toBe('policy_disabled');
    expect(tokenRefusal({ ...row, expiresAt: now.toISOString() }, at, null, false)).toBe('expired');
    expect(tokenRefusal({ ...row, expiresAt: new Date(at + 1).toISOString() }, at, null, false)).toBeNull();
    expect(effectiveExpiryMs({ ...row, policyMaxLifetimeDays: 10, expiresAt: '2027-06-01T00:00:00.000Z' })).toBe(Date.parse('2026-12-11T00:00:00.000Z'));
    expect(tokenRefusal({ ...row, policyMaxLifetimeDays: 31 }, at, null, false)).toBe('expired');
    expect(tokenRefusal({ ...row, policyIdleExpiryDays: 31 }, at, null, true)).toBe('idle');
    expect(tokenRefusal({ ...row, policyIdleExpiryDays: 31 }, at, null, false)).toBeNull();
    expect(tokenRefusal({ ...row, policyRequireNetworks: 1 }, at, null, false)).toBe('networks_required');
    expect(tokenRefusal({ ...row, allowedNetworks: '["10.0.0.0/8"]' }, at, '10.2.3.4', false)).toBeNull();
    expect(tokenRefusal({ ...row, allowedNetworks: '["10.0.0.0/8"]' }, at, '11.2.3.4', false)).toBe('network');
  });
});
