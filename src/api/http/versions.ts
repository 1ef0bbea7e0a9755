import { AppError } from '../../errors/app-error.ts';

/**
 * API versions we list in /api/versions (spec §2.1): 33.0–35.0 deprecated with the legacy
 * LoginUrl, 36.0–39.1 current. Never 40.x (the Go SDK would switch to VCF Automation mode).
 */
export const DEPRECATED_VERSIONS = ['33.0', '34.0', '35.0'] as const;
export const CURRENT_VERSIONS = ['36.0', '36.1', '36.2', '36.3', '37.0', '37.1', '37.2', '37.3', '38.0', '38.1', '39.0', '39.1'] as const;
export const ALL_VERSIONS: readonly string[] = [...DEPRECATED_VERSIONS, ...CURRENT_VERSIONS];
export const DEFAULT_VERSION = '39.1';
const KNOWN = new Set(ALL_VERSIONS);

/**
 * The API version a request asks for (spec §2.3): the `version` parameter of any Accept item
 * (several lines and comma-separated items; malformed items ignored). Missing or empty → the
 * highest version. An unlisted version → 406.
 */
export function negotiateVersion(accept: string | string[] | undefined): string {
  const lines = Array.isArray(accept) ? accept : accept ? [accept] : [];
  for (const line of lines) {
    for (const item of line.split(',')) {
      const m = /;\s*version\s*=\s*"?([^;,"\s]*)"?/i.exec(item);
      if (!m) continue;
      const v = m[1] ?? '';
      if (v === '') continue;
      if (KNOWN.has(v)) return v;
      throw new AppError('NOT_ACCEPTABLE', { message: `API version ${v.slice(0, 32)} is not supported. Supported versions: ${ALL_VERSIONS.join(', ')}.` });
    }
  }
  return DEFAULT_VERSION;
}
