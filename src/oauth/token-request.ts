import { parse as parseQueryString } from 'node:querystring';
import { AppError } from '../errors/app-error.ts';

export type TokenParams = Readonly<Record<string, string>>;

const MAX_PARAMS = 32;

/**
 * The token endpoint's parameters (spec §4.3): a form body, a body with no Content-Type (Go
 * v2.14–v2.20), or the query string with an empty body (PowerShell, seed 003), merged. A
 * parameter given twice, anywhere, is invalid_request (RFC 6749 §3.2). Other media types are
 * refused as invalid_request.
 */
export function readTokenParams(input: {
  contentType: string | undefined;
  rawBody: string | undefined;
  query: Record<string, string | string[] | undefined>;
}): TokenParams {
  // Null prototype: `__proto__` or `constructor` as a parameter name must be just a name.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const add = (source: Record<string, string | string[] | undefined>) => {
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined) continue;
      if (Array.isArray(value) || Object.hasOwn(out, key)) {
        throw new AppError('INVALID_OAUTH_REQUEST', { message: `The parameter ${key.slice(0, 64)} is given more than once.` });
      }
      out[key] = value;
    }
  };
  add(input.query);
  const body = input.rawBody ?? '';
  const mediaType = input.contentType?.split(';')[0]?.trim().toLowerCase();
  if (body.trim() !== '') {
    // text/plain: what fetch() sends for a string body when a script forgets the header.
    if (mediaType !== undefined && mediaType !== '' && mediaType !== 'application/x-www-form-urlencoded' && mediaType !== 'text/plain') {
      throw new AppError('INVALID_OAUTH_REQUEST', { message: 'Send the token request as application/x-www-form-urlencoded.' });
    }
    add(parseQueryString(body, '&', '=', { maxKeys: MAX_PARAMS + 1 }));
  }
  if (Object.keys(out).length > MAX_PARAMS) throw new AppError('INVALID_OAUTH_REQUEST', { message: 'Too many parameters.' });
  return out;
}

/** A required parameter, or invalid_request naming it. */
export function requireParam(params: TokenParams, name: string): string {
  const v = params[name];
  if (v === undefined || v === '') throw new AppError('INVALID_OAUTH_REQUEST', { message: `The parameter ${name} is required.` });
  return v;
}
