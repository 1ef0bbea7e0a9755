import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Command } from 'commander';
import { systemClock } from '../common/clock.ts';
import { isAppError } from '../errors/index.ts';
import { resetPasswordOffline } from '../identity/reset-password-offline.ts';
import { passwordHashPolicyOf } from '../identity/password-hasher.ts';
import { OfflineCommandError, withDatabase } from './offline-database.ts';
import { StdinLines } from './prompt.ts';

/** Who ran the command, for the audit event (there is no signed-in principal offline). */
function operatorName(): string {
  let user = 'unknown user';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the host still says where.
  }
  return `${user}@${os.hostname()}`;
}

/**
 * `opendirector admin reset-password`: recovering a lost administrator password, on the server's
 * machine with the server's configuration (OPENDIRECTOR_DATA_DIR or OPENDIRECTOR_DATABASE_URL).
 */
export function registerAdminCommand(program: Command): void {
  const admin = program.command('admin').description('Offline administration of the configured database (run where the server runs)');
  admin
    .command('reset-password')
    .description('Set a new password for administrator@System (or --user) and print it; audited in the System org')
    .option('--user <name>', 'the System org user whose password to reset', 'administrator')
    .option('--password-stdin', 'read the new password from the first line of stdin instead of generating one')
    .option('--reset-second-factor', 'also remove the user\'s TOTP second factor (the authenticator is lost too)')
    .addHelpText('after', [
      '',
      'Run it on the server\'s machine with the server\'s configuration (the same OPENDIRECTOR_DATA_DIR, or',
      'OPENDIRECTOR_DATABASE_URL): it writes to the database directly, so nobody needs to be logged in. The',
      'user\'s sessions end and a locked account is unlocked; API tokens stay valid. A running server need',
      'not be stopped.',
      '',
      'Examples:',
      '  opendirector admin reset-password',
      '  printf \'%s\\n\' "$NEW_PASSWORD" | opendirector admin reset-password --password-stdin',
      '  OPENDIRECTOR_DATABASE_URL=postgres://… opendirector admin reset-password --reset-second-factor',
      '',
    ].join('\n'))
    .action((flags: { user: string; passwordStdin?: boolean; resetSecondFactor?: boolean }) => withDatabase(async (config, handle) => {
      const given = flags.passwordStdin ? await new StdinLines().next() : undefined;
      if (flags.passwordStdin && !given) throw new OfflineCommandError('--password-stdin: stdin held no password (give it on the first line).');
      const password = given ?? randomBytes(18).toString('base64url');
      try {
        await resetPasswordOffline(handle.db, {
          username: flags.user, password, resetSecondFactor: flags.resetSecondFactor === true, operator: operatorName(),
          passwordHash: passwordHashPolicyOf(config), clock: systemClock,
        });
      } catch (e) {
        // The password rules and an unknown user: the message is the one the API would give.
        if (isAppError(e)) throw new OfflineCommandError(e.code === 'NOT_FOUND' ? `${e.message} (has \`opendirector serve\` run once on this database?)` : e.message);
        throw e;
      }
      const who = `${flags.user}@System`;
      process.stdout.write(given
        ? `Password of ${who} reset; its sessions were ended.\n`
        : `Password of ${who} reset (shown once): ${password}\n`);
    }));
}
