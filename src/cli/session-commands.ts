import type { Command } from 'commander';
import { fromAccessToken, fromApiToken, login, OpenDirectorError, type OpenDirectorClient, type Session } from '../client/index.ts';
import { run, type CliContext, type ConnectionFlags } from './cli-context.ts';
import { CliError, describeError, EXIT } from './exit-codes.ts';
import { formatFields, formatJson } from './output.ts';
import { withProgress } from './progress.ts';
import { promptLine, promptSecret, StdinLines } from './prompt.ts';
import { readTokenFile } from './token-file.ts';
import { serviceAccountLogin } from './service-account-commands.ts';

interface LoginFlags extends ConnectionFlags {
  serviceAccount?: string;
  save?: string;
  force?: boolean;
  user?: string;
  passwordStdin?: boolean;
  totp?: string;
}

/** Password login; asks for the TOTP code when the server answers SECOND_FACTOR_REQUIRED. */
async function passwordLogin(ctx: CliContext, url: string, org: string, flags: LoginFlags): Promise<OpenDirectorClient> {
  const user = flags.user ?? ctx.profile().user;
  if (!user) throw new CliError('Missing --user', EXIT.usage);
  ctx.errorContext.credential = 'password';
  const stdin = flags.passwordStdin ? new StdinLines() : null;
  const password = stdin ? await stdin.next() : await promptSecret(`Password for ${user}@${org}: `);
  if (!password) throw new CliError('No password given', EXIT.usage);
  const attempt = (totp?: string) => {
    ctx.errorContext.totpSent = totp !== undefined && totp !== '';
    return withProgress('Signing in', () => login({ url, org, user, password, ...(totp ? { totp } : {}) }));
  };
  try {
    return await attempt(flags.totp);
  } catch (err) {
    if (!(err instanceof OpenDirectorError) || err.minorErrorCode !== 'SECOND_FACTOR_REQUIRED' || flags.totp) throw err;
  }
  const totp = (stdin ? await stdin.next() : await promptLine('TOTP code: '))?.trim();
  if (!totp) {
    throw new CliError(stdin
      ? 'A second factor is required: give the TOTP code on the next stdin line or with --totp CODE'
      : 'A second factor is required: type the TOTP code when asked, or pass --totp CODE', EXIT.auth);
  }
  return attempt(totp);
}

function printSession(ctx: CliContext, session: Session, url: string): void {
  if (ctx.output.json) return ctx.output.out(formatJson(session));
  const operating = session.operatingOrg.name !== session.org.name ? session.operatingOrg.name : null;
  ctx.output.out(formatFields([
    ['User', session.user.name],
    ['Org', session.org.name],
    ...(operating ? [['Operating org', operating] as [string, string]] : []),
    ['Roles', session.roles.join(', ')],
    ['Session', session.apiTokenSession ? 'from an API token' : 'interactive'],
    ['Server', url],
    ['Profile', ctx.profileName],
  ]));
}

function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server URL, e.g. https://vcd.example.net (else OPENDIRECTOR_URL, else the profile)')
    .option('--org <org>', 'organization; System for provider users (else OPENDIRECTOR_ORG, else the profile)');
}

/** `login`, `logout`, `whoami`. */
export function registerSessionCommands(program: Command): void {
  connectionOptions(program.command('login'))
    .description('Sign in with a password (and TOTP code) or an API token file, and save it in the profile')
    .option('--user <name>', 'user name (without @org)')
    .option('--password-stdin', 'read the password from the first line of stdin (the TOTP code, if asked, from the second)')
    .option('--totp <code>', 'current TOTP code, for users with a second factor')
    .option('--token-file <file>', 'save an API token (token file or bare token) instead of signing in with a password')
    .option('--service-account <clientId>', 'activate a service account with the device flow (prints a user code for an administrator)')
    .option('--save <file>', 'with --service-account: the token file to write (Go SDK format, mode 0600)')
    .option('--force', 'with --save: replace the file if it exists')
    .addHelpText('after', `
Examples:
  opendirector login --url https://vcd.example.net --org acme --user alice
  printf '%s\\n' "$PASSWORD" | opendirector login --url https://vcd.example.net --org System --user administrator --password-stdin
  opendirector login --url https://vcd.example.net --org acme --token-file ~/.config/acme-token.json --profile ci
  opendirector login --url https://vcd.example.net --org acme --service-account <client id> --save ci-robot.json`)
    .action(run(async (ctx, flags: LoginFlags) => {
      const { url, org } = ctx.target(flags);
      const profile = ctx.profile();
      if (flags.serviceAccount) {
        if (!flags.save) throw new CliError('--service-account needs --save FILE: the token file that automation will use', EXIT.usage);
        return serviceAccountLogin(ctx, url, org, flags.serviceAccount, flags.save, flags.force === true);
      }
      if (flags.tokenFile) {
        const apiToken = readTokenFile(flags.tokenFile);
        ctx.errorContext.credential = 'api-token';
        const client = await withProgress('Exchanging the API token', () => fromApiToken({ url, org, apiToken }));
        const session = await client.sessions.current();
        ctx.saveProfile({ name: profile.name, url, org: session.org.name, user: session.user.name, apiToken, sessionToken: undefined });
        if (ctx.output.json) return ctx.output.out(formatJson(session));
        return ctx.output.out(`Saved the API token of ${session.user.name}@${session.org.name} for ${url} in profile "${profile.name}".`);
      }
      const client = await passwordLogin(ctx, url, org, flags);
      const session = await client.sessions.current();
      ctx.saveProfile({ name: profile.name, url, org: session.org.name, user: session.user.name, sessionToken: await client.accessToken(), apiToken: undefined });
      if (session.enrolmentRequired) ctx.output.err('Your organization requires a second factor: enrol TOTP in the portal before anything else.');
      if (ctx.output.json) return ctx.output.out(formatJson(session));
      return ctx.output.out(`Logged in to ${url} as ${session.user.name}@${session.org.name} (profile "${profile.name}").`);
    }));

  program.command('logout')
    .description('End the saved session on the server and forget the profile\'s credentials')
    .addHelpText('after', '\nExample:\n  opendirector logout --profile ci')
    .action(run(async (ctx) => {
      const p = ctx.profile();
      if (!p.sessionToken && !p.apiToken) return ctx.output.out(`Not logged in (profile "${p.name}").`);
      ctx.saveProfile({ ...p, sessionToken: undefined, apiToken: undefined });
      if (p.sessionToken && p.url && p.org) {
        try {
          await withProgress('Signing out', () => fromAccessToken({ url: p.url!, org: p.org!, accessToken: p.sessionToken! }).sessions.logout());
        } catch (err) {
          // An expired session is as logged out as it gets.
          if (!(err instanceof OpenDirectorError && err.status === 401)) {
            // The credentials are gone from this machine either way (a lost laptop must not keep
            // them), but the session itself lives on until it expires: say both.
            const { line, exitCode } = describeError(err);
            throw new CliError(`Forgot the credentials of profile "${p.name}", but the session on the server was not ended `
              + `(it stays valid until it expires): ${line.replace(/^opendirector: /, '')}`, exitCode);
          }
        }
      }
      return ctx.output.out(`Logged out${p.url ? ` of ${p.url}` : ''} (profile "${p.name}").`);
    }));

  connectionOptions(program.command('whoami'))
    .description('Show the signed-in user, org, roles and session kind')
    .option('--token-file <file>', 'use this API token file instead of the profile')
    .addHelpText('after', '\nExamples:\n  opendirector whoami\n  OPENDIRECTOR_API_TOKEN=… opendirector whoami --url https://vcd.example.net --org acme --json')
    .action(run(async (ctx, flags: ConnectionFlags) => {
      const { client } = await ctx.client(flags);
      const session = await withProgress('Asking the server', () => client.sessions.current());
      printSession(ctx, session, client.url);
    }));
}
