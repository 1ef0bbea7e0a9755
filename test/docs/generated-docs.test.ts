import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc } from '../../src/config/configuration-doc.ts';
import { renderErrorsDoc } from '../../src/errors/errors-doc.ts';
import { renderAuditEventsDoc } from '../../src/audit/audit-events-doc.ts';
import { errorCatalog, type ErrorCode } from '../../src/errors/catalog.ts';
import { AppError } from '../../src/errors/app-error.ts';
import { renderJsonError, renderOAuthError, renderXmlError } from '../../src/errors/render.ts';

describe('generated docs are current (run `npm run docs` when this fails)', () => {
  it.each([
    ['docs/configuration.md', renderConfigurationDoc],
    ['docs/errors.md', renderErrorsDoc],
    ['docs/audit-events.md', renderAuditEventsDoc],
  ])('%s matches the code', (file, render) => {
    expect(fs.readFileSync(file, 'utf8')).toBe(render());
  });
});

describe('the error catalogue, docs/errors.md and the three renderers agree', () => {
  const doc = fs.readFileSync('docs/errors.md', 'utf8');
  it.each(Object.keys(errorCatalog) as ErrorCode[])('%s', (code) => {
    const entry = errorCatalog[code];
    expect(doc).toContain(`| \`${code}\` | ${entry.status} | \`${entry.minor}\` | \`${entry.oauth}\` |`);
    const err = new AppError(code);
    expect(err.status).toBe(entry.status);
    expect(JSON.parse(renderJsonError(err, 'req-1'))).toEqual({ minorErrorCode: entry.minor, message: `[ req-1 ] ${entry.message}`, stackTrace: null });
    expect(JSON.parse(renderOAuthError(err))).toEqual({ minorErrorCode: entry.minor, message: entry.message, stackTrace: null, error: entry.oauth, error_description: entry.message });
    const xml = renderXmlError(err, 'req-1');
    expect(xml).toContain(`majorErrorCode="${entry.status}"`);
    expect(xml).toContain(`minorErrorCode="${entry.minor}"`);
  });
});
