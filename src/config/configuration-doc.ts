import { configOptions } from './schema.ts';

/** Renders docs/configuration.md from the schema (checked by test/docs/generated-docs.test.ts). */
export function renderConfigurationDoc(): string {
  const rows = Object.entries(configOptions).map(([key, o]) => {
    const def = (o.schema as { _zod?: { def?: { defaultValue?: unknown } } })._zod?.def?.defaultValue;
    const shown = def === undefined ? '(unset)' : `\`${String(def)}\``;
    return `| \`${o.env}\` | \`${key}\` | ${shown} | ${o.doc} |`;
  });
  return [
    '# Configuration',
    '',
    'Generated from `src/config/schema.ts` by `npm run docs`; a test fails when this file is stale.',
    'Every option is an environment variable. Unknown `OPENDIRECTOR_*` variables are refused at start-up',
    '(client-side variables used by the CLI are listed separately and ignored by the server).',
    '',
    '| variable | key | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
