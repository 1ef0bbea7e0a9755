import fs from 'node:fs';
import type { Command } from 'commander';
import {
  collect, HttpTransport, isSystemOrg, pollDeviceToken, requestDeviceAuthorization, serviceAccountTokenFileFor,
  writeServiceAccountTokenFile, type ServiceAccount,
} from '../client/index.ts';
import { run, type CliContext, type ConnectionFlags } from './cli-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { formatJson, formatTable } from './output.ts';
import { withProgress } from './progress.ts';
import { checkPrivateFileTarget } from './private-file.ts';
import { userAgent } from './token-file.ts';

function addConnection(cmd: Command): Command {
  return cmd.option('--url <url>', 'server URL (else OPENDIRECTOR_URL, else the profile)')
    .option('--org <org>', 'organization of the service account (else OPENDIRECTOR_ORG, else the profile)');
}

function printAccounts(ctx: CliContext, accounts: ServiceAccount[]): void {
  if (ctx.output.json) return ctx.output.out(formatJson(accounts));
  if (accounts.length === 0) return ctx.output.err('No service accounts.');
  return ctx.output.out(formatTable(['NAME', 'ID', 'ROLE', 'STATUS', 'ORG'], accounts.map((a) => [a.name, a.id, a.role.name, a.status, a.org.name])));
}

function printAccount(ctx: CliContext, a: ServiceAccount, what: string): void {
  if (ctx.output.json) return ctx.output.out(formatJson(a));
  return ctx.output.out(`${what} service account "${a.name}" (${a.id}), role ${a.role.name}, status ${a.status ?? 'hidden'}.`);
}

/** `sa create | list | grant | deny | revoke | delete` (issue 16): an administrator's session. */
export function registerServiceAccountCommands(program: Command): void {
  const sa = program.command('sa').description('Create, list, grant, revoke and delete service accounts')
    .addHelpText('after', `
Examples:
  opendirector sa create ci-robot --role "vApp Author"
  opendirector login --service-account <client id> --save ci-robot.json   (on the machine that runs the automation)
  opendirector sa grant BCDF-GHJK
  opendirector sa revoke ci-robot`);

  addConnection(sa.command('create <name>'))
    .description('Register a service account (status CREATED) with one role of the org')
    .requiredOption('--role <role>', 'role name in the service account\'s org, e.g. "vApp Author"')
    .option('--software-id <uuid>', 'UUID of the software that will use it (random when omitted)')
    .option('--software-version <version>', 'version of that software')
    .option('--uri <uri>', 'where the software lives (informational)')
    .addHelpText('after', '\nExamples:\n  opendirector sa create ci-robot --role "vApp Author"\n  opendirector sa create billing --org acme --role "vApp User" --software-version 2.1')
    .action(run(async (ctx, name: string, flags: ConnectionFlags & { role: string; softwareId?: string; softwareVersion?: string; uri?: string }) => {
      const { client } = await ctx.client(flags, 'session');
      const created = await withProgress('Creating the service account', () => client.serviceAccounts.create({
        name, role: flags.role, ...(flags.softwareId ? { softwareId: flags.softwareId } : {}),
        ...(flags.softwareVersion ? { softwareVersion: flags.softwareVersion } : {}), ...(flags.uri ? { uri: flags.uri } : {}),
      }));
      if (ctx.output.json) return ctx.output.out(formatJson(created));
      const clientId = created.id.split(':').pop() ?? created.id;
      ctx.output.out(`Created service account "${created.name}" (${created.id}), role ${created.role.name}, status ${created.status}.`);
      return ctx.output.err(`Next, where the automation runs: opendirector login --url ${client.url} --org ${client.org} --service-account ${clientId} --save ${name}.json`);
    }));

  addConnection(sa.command('list'))
    .description('List the service accounts you may see')
    .addHelpText('after', '\nExamples:\n  opendirector sa list\n  opendirector sa list --json')
    .action(run(async (ctx, flags: ConnectionFlags) => {
      const { client } = await ctx.client(flags);
      printAccounts(ctx, await withProgress('Listing service accounts', () => collect(client.serviceAccounts.iterateAll())));
    }));

  addConnection(sa.command('grant <userCode>'))
    .description('Grant the device that shows this user code (what the portal\'s device page does)')
    .addHelpText('after', '\nExample:\n  opendirector sa grant BCDF-GHJK')
    .action(run(async (ctx, userCode: string, flags: ConnectionFlags) => {
      const { client } = await ctx.client(flags, 'session');
      printAccount(ctx, await withProgress('Granting', () => client.serviceAccounts.grant(userCode)), 'Granted');
    }));

  addConnection(sa.command('deny <userCode>'))
    .description('Deny the device that shows this user code')
    .addHelpText('after', '\nExample:\n  opendirector sa deny BCDF-GHJK')
    .action(run(async (ctx, userCode: string, flags: ConnectionFlags) => {
      const { client } = await ctx.client(flags, 'session');
      printAccount(ctx, await withProgress('Denying', () => client.serviceAccounts.deny(userCode)), 'Denied');
    }));

  for (const [verb, description] of [['revoke', 'Revoke a service account: back to CREATED, its tokens stop working at once'], ['delete', 'Delete a service account']] as const) {
    addConnection(sa.command(`${verb} <nameOrId>`))
      .description(description)
      .addHelpText('after', `\nExamples:\n  opendirector sa ${verb} ci-robot\n  opendirector sa ${verb} urn:vcloud:serviceAccount:<uuid>`)
      .action(run(async (ctx, nameOrId: string, flags: ConnectionFlags) => {
        const { client } = await ctx.client(flags, 'session');
        const id = await resolveId(client.serviceAccounts, nameOrId);
        if (verb === 'revoke') return printAccount(ctx, await withProgress('Revoking', () => client.serviceAccounts.revoke(id)), 'Revoked');
        await withProgress('Deleting', () => client.serviceAccounts.delete(id));
        return ctx.output.out(`Deleted service account ${nameOrId}.`);
      }));
  }
}

const UUID_OR_URN = /^(urn:vcloud:serviceAccount:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function resolveId(api: { list(q: { name: string }): Promise<{ values: ServiceAccount[] }> }, nameOrId: string): Promise<string> {
  if (UUID_OR_URN.test(nameOrId)) return nameOrId;
  const found = (await api.list({ name: nameOrId })).values;
  if (found.length !== 1) throw new CliError(`No service account named "${nameOrId}" (or more than one): give its id`, EXIT.invalid);
  return found[0]!.id;
}

/**
 * `login --service-account <client id> --save FILE`: the device flow (RFC 8628) from the machine
 * that runs the automation. Prints the user code and the page where an administrator enters it,
 * polls, then writes the Go SDK's token file (`token_type: "Service Account"`, mode 0600); every
 * later use (`--token-file FILE`) rotates the token and rewrites the file.
 */
export async function serviceAccountLogin(ctx: CliContext, url: string, org: string, clientId: string, save: string, force: boolean): Promise<void> {
  checkPrivateFileTarget(save, { overwrite: force });
  const http = new HttpTransport({ url });
  const codes = await withProgress('Requesting device authorization', () => requestDeviceAuthorization(http, org, clientId));
  ctx.output.err(`To activate this service account, an administrator enters the code\n\n    ${codes.user_code}\n\nat ${codes.verification_uri}`
    + `\n(or runs: opendirector sa grant ${codes.user_code}). Waiting up to ${Math.round(codes.expires_in / 60)} minutes…`);
  const tokens = await pollDeviceToken(http, org, { clientId, deviceCode: codes.device_code, interval: codes.interval, expiresIn: codes.expires_in });
  if (!force && fs.existsSync(save)) throw new CliError(`${save} exists: pass --force to replace it`, EXIT.usage);
  await writeServiceAccountTokenFile(save, serviceAccountTokenFileFor(tokens.refresh_token, userAgent(isSystemOrg(org))));
  if (ctx.output.json) return ctx.output.out(formatJson({ clientId, file: save }));
  return ctx.output.out(`Service account activated; its token is saved to ${save} (mode 0600) and rotates on every use: pass --token-file ${save}.`);
}
