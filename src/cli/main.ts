import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { EXIT } from './exit-codes.ts';

const program = buildProgram();
// `keys` and `admin` open the database, so their modules pull in the SQL drivers (~0.6 s): load
// them only when they can run or be listed, so the everyday commands start fast.
const args = process.argv.slice(2);
const listing = args.length === 0 || args.some((a) => a === 'help' || a === '--help' || a === '-h');
if (listing || args.includes('keys')) {
  const { registerKeysCommand } = await import('./keys-command.ts');
  registerKeysCommand(program);
}
if (listing || args.includes('admin')) {
  const { registerAdminCommand } = await import('./admin-command.ts');
  registerAdminCommand(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // Commander already printed the message (and the help when asked for).
  process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
