import { describe, expect, it } from 'vitest';
import { jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import { signAccessToken, verifyAccessToken, type SigningKey } from '../../src/tokens/access-token.ts';

const key: SigningKey = { kid: 'k1', secret: randomBytes(32) };
const now = Math.floor(Date.now() / 1000);
const claims = { sub: 'alice', iss: 'org@site', jti: 'session-1', iat: now, exp: now + 60, version: 'vcloud_1.0' as const };
const keyFor = (kid: string) => (kid === key.kid ? key : undefined);

describe('access tokens (compact JWS, HS256)', () => {
  it('are standard JWTs that jose verifies', async () => {
    const token = signAccessToken(claims, key);
    const { payload, protectedHeader } = await jwtVerify(token, key.secret, { algorithms: ['HS256'] });
    expect(protectedHeader).toMatchObject({ alg: 'HS256', kid: 'k1' });
    expect(payload).toMatchObject({ sub: 'alice', jti: 'session-1' });
    expect(token.length).toBeGreaterThan(32);
    expect(token).not.toMatch(/[,\s]/);
  });

  it('refuses alg none, a wrong key, an unknown kid, expiry, a future iat and a flipped character', () => {
    const token = signAccessToken(claims, key);
    const [, payload] = token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url')}.${payload}.`;
    expect(verifyAccessToken(none, keyFor, now)).toBeNull();
    expect(verifyAccessToken(signAccessToken(claims, { kid: 'k1', secret: randomBytes(32) }), keyFor, now)).toBeNull();
    expect(verifyAccessToken(signAccessToken(claims, { kid: 'k2', secret: key.secret }), keyFor, now)).toBeNull();
    expect(verifyAccessToken(signAccessToken({ ...claims, exp: now - 1 }, key), keyFor, now)).toBeNull();
    expect(verifyAccessToken(signAccessToken({ ...claims, iat: now + 3600 }, key), keyFor, now)).toBeNull();
    for (let i = 0; i < token.length; i += 7) {
      const c = token[i] === 'A' ? 'B' : 'A';
      const flipped = token.slice(0, i) + c + token.slice(i + 1);
      if (flipped !== token) expect(verifyAccessToken(flipped, keyFor, now)).toBeNull();
    }
    expect(verifyAccessToken(token, keyFor, now)).toMatchObject({ jti: 'session-1' });
  });

  it('accepts only the one spelling of the signature: every other last character, padding and stray characters are refused', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // Over many keys, so the last character takes many values (it carries 4 bits and 2 unused ones).
    for (let k = 0; k < 40; k++) {
      const own = { kid: 'k1', secret: randomBytes(32) };
      const token = signAccessToken(claims, own);
      const keyOf = (kid: string) => (kid === 'k1' ? own : undefined);
      expect(verifyAccessToken(token, keyOf, now)).not.toBeNull();
      const body = token.slice(0, -1);
      for (const c of ALPHABET) if (c !== token.at(-1)) expect(verifyAccessToken(body + c, keyOf, now), `last ${c}`).toBeNull();
      for (const spelled of [`${token}=`, `${token}!`, `${body}*${token.at(-1)}`, `${token} `]) expect(verifyAccessToken(spelled, keyOf, now), spelled).toBeNull();
    }
  });
});
