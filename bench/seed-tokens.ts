import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDataDir, seedBenchData } from './seed.ts';

/**
 * Seeding command: fills a data folder with the bench tenant and N API tokens before a server
 * starts on it. Example:
 *   npx tsx bench/seed-tokens.ts --data-dir /tmp/od-1m --tokens 1000000 --out /tmp/od-1m/load-tokens.json
 * The folder is migrated and bootstrapped first (the server's own code), if it is new.
 */
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    tokens: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '1000' },
    'load-tokens': { type: 'string', default: '1000' },
    'totp-users': { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
const dataDir = values['data-dir'];
if (!dataDir) {
  process.stderr.write('usage: tsx bench/seed-tokens.ts --data-dir DIR [--tokens N] [--users U] [--load-tokens K] [--totp-users T] [--out FILE]\n');
  process.exit(2);
}
const num = (v: string | undefined, name: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000) throw new Error(`--${name} must be a whole number up to 10,000,000`);
  return n;
};
if (!fs.existsSync(path.join(dataDir, 'opendirector.db'))) await prepareDataDir(dataDir);
const result = await seedBenchData(dataDir, {
  tokens: num(values.tokens, 'tokens'), users: Math.max(1, num(values.users, 'users')),
  loadTokens: num(values['load-tokens'], 'load-tokens'), totpUsers: num(values['totp-users'], 'totp-users'),
});
if (values.out) fs.writeFileSync(values.out, JSON.stringify(result), { mode: 0o600 });
process.stdout.write(`Seeded ${values.tokens} tokens in org ${result.org} in ${result.seconds.toFixed(1)} s${values.out ? `; load tokens in ${values.out}` : ''}\n`);
