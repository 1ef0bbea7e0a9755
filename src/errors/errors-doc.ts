import { errorCatalog } from './catalog.ts';

/** Renders docs/errors.md from the catalogue (checked by test/docs/generated-docs.test.ts). */
export function renderErrorsDoc(): string {
  const rows = Object.entries(errorCatalog).map(([code, e]) =>
    `| \`${code}\` | ${e.status} | \`${e.minor}\` | \`${e.oauth}\` | ${e.message} |`);
  return [
    '# Errors',
    '',
    'Generated from `src/errors/catalog.ts` by `npm run docs`; a test fails when this file is stale.',
    'One failure renders in the shape of the API family it happened in:',
    '',
    '- CloudAPI (`/cloudapi`): `{"minorErrorCode", "message": "[ <request id> ] …", "stackTrace": null}` (spec §6.3).',
    '- XML (`/api`): `<Error majorErrorCode="<status>" minorErrorCode="…" message="[ <request id> ] …"/>` (spec §9.4).',
    '- OAuth (`/oauth`): the CloudAPI keys plus RFC 6749 `error` and `error_description` (spec §4.8).',
    '',
    'No response carries a stack trace; anything unexpected is a generic 500 and is logged with the request id.',
    '',
    '| code | HTTP | minorErrorCode | OAuth `error` | default message |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
