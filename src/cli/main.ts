import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { EXIT } from './exit-codes.ts';

const program = buildProgram();
// `keys` opens the database, so its module pulls in the SQL drivers (~0.6 s): load it only when
// it can run or be listed, so the everyday commands start fast.
const args = process.argv.slice(2);
if (args.length === 0 || args.some((a) => a === 'keys' || a === 'help' || a === '--help' || a === '-h')) {
  const { registerKeysCommand } = await import('./keys-command.ts');
  registerKeysCommand(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // Commander already printed the message (and the help when asked for).
  process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
