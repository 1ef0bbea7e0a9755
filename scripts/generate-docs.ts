import fs from 'node:fs';
import { renderConfigurationDoc } from '../src/config/configuration-doc.ts';
import { renderErrorsDoc } from '../src/errors/errors-doc.ts';
import { renderAuditEventsDoc } from '../src/audit/audit-events-doc.ts';

/** `npm run docs`: regenerates the docs that are derived from code. */
const docs: Record<string, string> = {
  'docs/configuration.md': renderConfigurationDoc(),
  'docs/errors.md': renderErrorsDoc(),
  'docs/audit-events.md': renderAuditEventsDoc(),
};
for (const [file, text] of Object.entries(docs)) {
  fs.writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
