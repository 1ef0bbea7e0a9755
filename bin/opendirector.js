#!/usr/bin/env node
// Entry point of the `opendirector` command. The sources are TypeScript; tsx loads them directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
