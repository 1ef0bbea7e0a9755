import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { API_TOKEN_LENGTH, apiTokenMatches, generateApiToken, parseApiToken } from '../../src/tokens/api-token-format.ts';
import { newId } from '../../src/common/ids.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';

describe('API token format', () => {
  it('is URL-safe, prefixed, of fixed length, and carries its id', () => {
    const id = newId();
    const { token, secretHash } = generateApiToken(id);
    expect(token).toMatch(/^odt_[0-9a-f]{32}[0-9A-Za-z]{49}$/);
    expect(token.length).toBe(API_TOKEN_LENGTH);
    expect(encodeURIComponent(token)).toBe(token);
    expect(parseApiToken(token)).toEqual({ id });
    expect(apiTokenMatches(token, secretHash)).toBe(true);
    expect(secretHash).not.toContain(token.slice(36));
  });

  it('detects every single-character change through the checksum', () => {
    fc.assert(
      fc.property(fc.nat({ max: API_TOKEN_LENGTH - 1 }), fc.constantFrom(...ALPHABET), (pos, ch) => {
        const { token } = generateApiToken(newId());
        fc.pre(token[pos] !== ch);
        const mutated = token.slice(0, pos) + ch + token.slice(pos + 1);
        expect(parseApiToken(mutated)).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('checks exhaustively that no substitution at any position of one token passes', () => {
    const { token } = generateApiToken(newId());
    let accepted = 0;
    for (let pos = 0; pos < token.length; pos++) {
      for (const ch of ALPHABET) {
        if (ch === token[pos]) continue;
        if (parseApiToken(token.slice(0, pos) + ch + token.slice(pos + 1)) !== null) accepted++;
      }
    }
    expect(accepted).toBe(0);
  });

  it('rejects arbitrary strings without throwing', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(parseApiToken(s)).toBeNull();
    }), { numRuns: 2000 });
  });

  it('never matches the hash of another token', () => {
    const a = generateApiToken(newId());
    const b = generateApiToken(newId());
    expect(apiTokenMatches(a.token, b.secretHash)).toBe(false);
    expect(apiTokenMatches(a.token, 'not-hex')).toBe(false);
  });
});
