import { errorCatalog } from './catalog.ts';
import type { AppError } from './app-error.ts';
import { xmlDocument } from '../api/http/xml.ts';

/** The three API families; each renders errors in its own shape (spec §4.8, §6.3, §9.4). */
export type ApiFamily = 'cloudapi' | 'xml' | 'oauth';

/** Spec §6.3: VCD prefixes messages with the request id in brackets. */
function withRequestId(message: string, requestId: string): string {
  return `[ ${requestId} ] ${message}`;
}

export function renderJsonError(err: AppError, requestId: string): string {
  return JSON.stringify({
    minorErrorCode: errorCatalog[err.code].minor,
    message: withRequestId(err.message, requestId),
    stackTrace: null,
  });
}

/**
 * Spec §4.8: CloudAPI shape with `minorErrorCode` (what the Go SDK prints) plus RFC 6749
 * `error`/`error_description` so standard OAuth libraries understand it too. All values are
 * strings or null (Go v2.14–v2.20 decodes into map[string]string).
 */
export function renderOAuthError(err: AppError): string {
  const entry = errorCatalog[err.code];
  return JSON.stringify({
    minorErrorCode: entry.minor,
    message: err.message,
    stackTrace: null,
    error: entry.oauth,
    error_description: err.message,
  });
}

export function renderXmlError(err: AppError, requestId: string): string {
  return xmlDocument('Error', {
    '@_xmlns': 'http://www.vmware.com/vcloud/v1.5',
    '@_majorErrorCode': String(err.status),
    '@_minorErrorCode': errorCatalog[err.code].minor,
    '@_message': withRequestId(err.message, requestId),
  });
}

export function contentTypeForErrors(family: ApiFamily, version: string): string {
  return family === 'xml'
    ? `application/vnd.vmware.vcloud.error+xml;version=${version}`
    : family === 'cloudapi'
      ? `application/json;version=${version}`
      : 'application/json';
}

export function renderError(family: ApiFamily, err: AppError, requestId: string): string {
  if (family === 'xml') return renderXmlError(err, requestId);
  if (family === 'oauth') return renderOAuthError(err);
  return renderJsonError(err, requestId);
}
