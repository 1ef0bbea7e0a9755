import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.ts';
import { runCli, tempConfigDir } from './run-cli.fixture.ts';

/** Every command, depth first, with its full name (`token create`). */
function commandsOf(cmd: Command, prefix = ''): Array<[string, Command]> {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return [[name, c] as [string, Command], ...commandsOf(c, `${name} `)];
  });
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => { text += s; } });
  cmd.outputHelp();
  return text;
}

describe('opendirector --help', () => {
  const program = buildProgram();
  const commands = commandsOf(program);

  it('has every command of issue 5', () => {
    expect(commands.map(([name]) => name)).toEqual([
      'serve', 'login', 'logout', 'whoami', 'token', 'token create', 'token list', 'token revoke', 'token revoke-all', 'token exchange', 'api',
      // Issue 16: service accounts.
      'sa', 'sa create', 'sa list', 'sa grant', 'sa deny', 'sa revoke', 'sa delete',
    ]);
  });

  it.each(commands.map(([name, cmd]) => [name, cmd] as const))('"%s --help" describes the command and shows an example', (name, cmd) => {
    const help = helpOf(cmd);
    expect(help).toContain(`Usage: opendirector ${name}`);
    expect(help).toMatch(/\nExamples?:\n {2}(\S+=\S+ )?opendirector /);
  });

  it('works from the command line and exits 0', async () => {
    const r = await runCli(['token', 'exchange', '--help'], { configDir: tempConfigDir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--header');
    expect(r.stdout).toContain('eval "$(opendirector token exchange --env)"');
  });
});
