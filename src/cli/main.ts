import { Command } from 'commander';
import { registerServeCommand } from './serve-command.ts';

const program = new Command();
program
  .name('opendirector')
  .description('OpenDirector: an open, Cloud Director-compatible API-token server, its CLI and SDK')
  .showHelpAfterError();
registerServeCommand(program);

await program.parseAsync(process.argv);
