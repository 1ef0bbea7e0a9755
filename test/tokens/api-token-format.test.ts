import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { API_TOKEN_LENGTH, generateApiToken, hashApiTokenSecret, parseApiToken, secretHashesMatch } from '../../src/tokens/api-token-format.ts';
import { newId } from '../../src/common/ids.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';
const BASE62 = ALPHABET.slice(0, 62);

/** A token in the earlier, 85-character format that carried its id (issued before; still valid). */
function idCarryingToken(id: string): string {
  let body = `odt_${id.replace(/-/g, '')}`;
  for (let i = 0; i < 43; i++) body += BASE62[(i * 7) % 62];
  let check = '';
  let v = BigInt(crc32(body));
  for (let i = 0; i < 6; i++) {
    check = BASE62[Number(v % 62n)] + check;
    v /= 62n;
  }
  return body + check;
}

describe('API token format', () => {
  it('is 32 URL-safe characters, as Cloud Director\'s, and is found by the hash of the whole string', () => {
    const { token, secretHash } = generateApiToken();
    expect(token).toMatch(/^odt_[0-9A-Za-z]{28}$/);
    expect(token.length).toBe(32);
    expect(API_TOKEN_LENGTH).toBe(32);
    expect(encodeURIComponent(token)).toBe(token);
    // Seeds 001 and 002 send the grant with Content-Length: 71.
    expect(Buffer.byteLength(`grant_type=refresh_token&refresh_token=${token}`)).toBe(71);
    expect(parseApiToken(token)).toEqual({ by: 'hash', secretHash });
    expect(secretHash).toBe(hashApiTokenSecret(token));
    expect(secretHashesMatch(hashApiTokenSecret(token), secretHash)).toBe(true);
    expect(secretHash).not.toContain(token.slice(4));
  });

  it('draws a fresh secret every time', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => generateApiToken().token));
    expect(tokens.size).toBe(2000);
  });

  it('still reads a token of the earlier 85-character format by the id it carries', () => {
    const id = newId();
    const token = idCarryingToken(id);
    expect(token).toHaveLength(85);
    expect(parseApiToken(token)).toEqual({ by: 'id', id, secretHash: hashApiTokenSecret(token) });
    expect(parseApiToken(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeNull();
  });

  it('detects every single-character change through the checksum', () => {
    fc.assert(
      fc.property(fc.nat({ max: API_TOKEN_LENGTH - 1 }), fc.constantFrom(...ALPHABET), (pos, ch) => {
        const { token } = generateApiToken();
        fc.pre(token[pos] !== ch);
        const mutated = token.slice(0, pos) + ch + token.slice(pos + 1);
        expect(parseApiToken(mutated)).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('checks exhaustively that no substitution at any position of one token passes', () => {
    for (const token of [generateApiToken().token, idCarryingToken(newId())]) {
      let accepted = 0;
      for (let pos = 0; pos < token.length; pos++) {
        for (const ch of ALPHABET) {
          if (ch === token[pos]) continue;
          if (parseApiToken(token.slice(0, pos) + ch + token.slice(pos + 1)) !== null) accepted++;
        }
      }
      expect(accepted).toBe(0);
    }
  });

  it('rejects arbitrary strings without throwing', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(parseApiToken(s)).toBeNull();
    }), { numRuns: 2000 });
  });

  it('never matches the hash of another token', () => {
    const a = generateApiToken();
    const b = generateApiToken();
    expect(secretHashesMatch(a.secretHash, b.secretHash)).toBe(false);
    expect(secretHashesMatch(a.secretHash, 'not-hex')).toBe(false);
  });
});
