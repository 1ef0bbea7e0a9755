import { Command } from 'commander';
import { registerServeCommand } from './serve-command.ts';
import { registerSessionCommands } from './session-commands.ts';
import { registerTokenCommands } from './token-commands.ts';
import { registerApiCommand } from './api-command.ts';
import { registerServiceAccountCommands } from './service-account-commands.ts';
import { CLI_VERSION } from './version.ts';

/** The `opendirector` command tree (without `keys`, which main.ts adds when needed). */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('opendirector')
    .description('OpenDirector: an open, Cloud Director-compatible API-token server, its CLI and SDK')
    .version(CLI_VERSION)
    .option('--profile <name>', 'saved profile to use (else OPENDIRECTOR_PROFILE, else "default")')
    .option('--json', 'machine-readable JSON output')
    // One line, the same prefix as every other error; usage errors exit 2 (exit-codes.ts).
    // Both settings are inherited by every command registered below.
    .showHelpAfterError('(run the command with --help for usage and examples)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'opendirector: ')) })
    .exitOverride()
    .addHelpText('after', `
Exit codes: 0 ok, 1 failure, 2 usage, 3 authentication, 4 forbidden, 5 not found or invalid,
6 server unreachable, 7 server error.

Examples:
  opendirector login --url https://vcd.example.net --org acme --user alice
  opendirector token create ci --save ~/.config/opendirector/ci-token.json
  opendirector api GET /api/org --token-file ~/.config/opendirector/ci-token.json`);
  registerServeCommand(program);
  registerSessionCommands(program);
  registerTokenCommands(program);
  registerApiCommand(program);
  registerServiceAccountCommands(program);
  return program;
}
