#!/usr/bin/env node
// Entry point of the `opendirector` command. The sources are TypeScript. When `npm run build`
// (run by `npm start`) has compiled them into dist/server/ and no source changed since, that
// build runs: no tsx loader thread, no transpiling at start (issue 7). Otherwise — a fresh clone,
// tests, development, or a build older than the sources — tsx runs the sources directly, so what
// runs is always the current code. compiled-entry.js explains the freshness rule.
import { fileURLToPath } from 'node:url';
import { compiledEntry } from './compiled-entry.js';

const compiled = compiledEntry(fileURLToPath(new URL('..', import.meta.url)));
if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
