import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readTokenParams } from '../../src/oauth/token-request.ts';
import { AppError } from '../../src/errors/app-error.ts';

const key = fc.stringMatching(/^[a-z_]{1,12}$/);
const value = fc.string({ maxLength: 40 });

describe('token endpoint parameter parsing', () => {
  it('reads the same parameters from a form body, a body without Content-Type and the query string', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: (p) => p[0], maxLength: 8 }), (pairs) => {
      const body = new URLSearchParams(pairs).toString();
      const expected = Object.fromEntries(pairs);
      const plain = (o: object) => ({ ...o });
      expect(plain(readTokenParams({ contentType: 'application/x-www-form-urlencoded', rawBody: body, query: {} }))).toEqual(expected);
      expect(plain(readTokenParams({ contentType: undefined, rawBody: body, query: {} }))).toEqual(expected);
      expect(plain(readTokenParams({ contentType: undefined, rawBody: '', query: Object.assign(Object.create(null) as object, expected) }))).toEqual(expected);
    }), { numRuns: 1000 });
  });

  it('refuses any parameter given twice, in the body or across query and body', () => {
    fc.assert(fc.property(key, value, value, fc.boolean(), (k, v1, v2, split) => {
      const call = () => split
        ? readTokenParams({ contentType: undefined, rawBody: new URLSearchParams([[k, v2]]).toString(), query: { [k]: v1 } })
        : readTokenParams({ contentType: undefined, rawBody: new URLSearchParams([[k, v1], [k, v2]]).toString(), query: {} });
      try {
        call();
        expect.unreachable('duplicate accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        expect((e as AppError).code).toBe('INVALID_OAUTH_REQUEST');
      }
    }), { numRuns: 500 });
  });

  it('either parses or throws an AppError for any body and content type', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.option(fc.string({ maxLength: 40 })), (body, ct) => {
      try {
        readTokenParams({ contentType: ct ?? undefined, rawBody: body, query: {} });
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
      }
    }), { numRuns: 2000 });
  });
});
