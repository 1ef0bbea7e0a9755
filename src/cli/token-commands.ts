import type { Command } from 'commander';
import { collect, exchangeApiToken, fiqlAnd, fiqlEquals, isSystemOrg, type OpenDirectorClient, type Token } from '../client/index.ts';
import { run, type CliContext, type ConnectionFlags } from './cli-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { formatJson, formatTable } from './output.ts';
import { withProgress } from './progress.ts';
import { checkPrivateFileTarget } from './private-file.ts';
import { tokenFileFor, writeTokenFile } from './token-file.ts';
import { unignoredGitWorkTree } from './git-exposure.ts';

const UUID = /^(urn:vcloud:token:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function addConnection(cmd: Command, tokenFile: boolean): Command {
  cmd.option('--url <url>', 'server URL (else OPENDIRECTOR_URL, else the profile)')
    .option('--org <org>', 'organization (else OPENDIRECTOR_ORG, else the profile)');
  return tokenFile ? cmd.option('--token-file <file>', 'API token file (else OPENDIRECTOR_API_TOKEN, else the profile)') : cmd;
}

/** The caller's user and org names (a filter on them keeps "my tokens" mine, even for a provider). */
async function me(client: OpenDirectorClient): Promise<{ user: string; org: string }> {
  const s = await client.sessions.current();
  return { user: s.user.name, org: s.org.name };
}

function printTokens(ctx: CliContext, tokens: Token[]): void {
  if (ctx.output.json) return ctx.output.out(formatJson(tokens));
  if (tokens.length === 0) return ctx.output.err('No API tokens.');
  return ctx.output.out(formatTable(
    ['NAME', 'ID', 'OWNER', 'ORG', 'CREATED', 'LAST USED'],
    tokens.map((t) => [t.name, t.id, t.owner.name, t.org.name, t.createdAt ?? null, t.lastUsedAt ?? null]),
  ));
}

/** `token create | list | revoke | exchange`. */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('Create, list, revoke and exchange API tokens')
    .addHelpText('after', '\nExamples:\n  opendirector token create ci --save ~/.config/opendirector/ci-token.json\n  opendirector token list --all\n  opendirector token exchange --token-file ~/.config/opendirector/ci-token.json --header');

  addConnection(token.command('create <name>'), false)
    .description('Create an API token for the signed-in user and print its secret once')
    .option('--save <file>', 'write the token to FILE (mode 0600) in the token-file format of the Go SDK and Terraform')
    .option('--force', 'replace FILE if it exists')
    .addHelpText('after', `
Examples:
  opendirector token create ci-pipeline
  opendirector token create terraform --save ~/.config/vcd/terraform-token.json`)
    .action(run(async (ctx, name: string, flags: ConnectionFlags & { save?: string; force?: boolean }) => {
      // A bad --save path must fail now: once the token exists its secret cannot be shown again.
      if (flags.save) {
        checkPrivateFileTarget(flags.save, { overwrite: flags.force === true });
        const workTree = unignoredGitWorkTree(flags.save);
        if (workTree) {
          ctx.output.err(`Warning: ${flags.save} is inside the git work tree ${workTree} and git does not ignore it: the secret could be committed.`
            + ' Save it outside the repository (e.g. ~/.config/opendirector/ci-token.json) or add it to .gitignore.');
        }
      }
      const { client } = await ctx.client(flags, 'session');
      const created = await withProgress('Creating the API token', () => client.tokens.create(name));
      if (flags.save) {
        try {
          writeTokenFile(flags.save, tokenFileFor(created.token, isSystemOrg(client.org)), flags.force === true);
        } catch (err) {
          // The file could not be written after all (disk full, a race): the secret exists only
          // here now, so show it rather than lose it, and still fail.
          ctx.output.out(created.token);
          const why = err instanceof Error ? err.message : String(err);
          throw new CliError(`${why}. API token "${created.name}" (${created.id}) was created: its secret is printed on stdout, store it now`, EXIT.failure);
        }
        if (ctx.output.json) return ctx.output.out(formatJson({ id: created.id, name: created.name, file: flags.save }));
        return ctx.output.out(`Created API token "${created.name}" (${created.id}); saved to ${flags.save} (mode 0600).`);
      }
      if (ctx.output.json) return ctx.output.out(formatJson(created));
      ctx.output.err(`Created API token "${created.name}" (${created.id}). The secret is shown once: store it now.`);
      return ctx.output.out(created.token);
    }));

  addConnection(token.command('list'), true)
    .description('List your API tokens (or one user\'s, or every token you may see)')
    .option('--user <name>', 'tokens of this user (needs "Manage all users\' API tokens")')
    .option('--all', 'every token you may see')
    .addHelpText('after', '\nExamples:\n  opendirector token list\n  opendirector token list --all --json')
    .action(run(async (ctx, flags: ConnectionFlags & { user?: string; all?: boolean }) => {
      const { client } = await ctx.client(flags);
      const tokens = await withProgress('Listing API tokens', async () => {
        let filter: string | undefined;
        if (flags.user) filter = fiqlEquals('owner.name', flags.user);
        else if (!flags.all) {
          const self = await me(client);
          filter = fiqlAnd(fiqlEquals('owner.name', self.user), fiqlEquals('org.name', self.org));
        }
        return collect(client.tokens.iterateAll({ pageSize: 128, sortAsc: 'name', ...(filter ? { filter } : {}) }));
      });
      printTokens(ctx, tokens);
    }));

  addConnection(token.command('revoke <idOrName>'), true)
    .description('Revoke an API token by id (URN or UUID) or by name')
    .option('--user <name>', 'owner of the named token (default: you)')
    .addHelpText('after', '\nExamples:\n  opendirector token revoke ci-pipeline\n  opendirector token revoke urn:vcloud:token:9c2e7a15-4d3b-4f60-8a91-b2c3d4e5f607')
    .action(run(async (ctx, idOrName: string, flags: ConnectionFlags & { user?: string }) => {
      const { client } = await ctx.client(flags);
      const target = await withProgress('Revoking the API token', async () => {
        let found: Token;
        if (UUID.test(idOrName)) found = await client.tokens.get(idOrName);
        else {
          const self = await me(client);
          const owner = flags.user ?? self.user;
          const filter = fiqlAnd(fiqlEquals('name', idOrName), fiqlEquals('owner.name', owner), !flags.user && fiqlEquals('org.name', self.org));
          const matches = await collect(client.tokens.iterateAll({ pageSize: 128, ...(filter ? { filter } : {}) }));
          if (matches.length === 0) throw new CliError(`No API token named "${idOrName}" owned by ${owner}`, EXIT.invalid);
          if (matches.length > 1) throw new CliError(`${matches.length} API tokens are named "${idOrName}": revoke by id (${matches.map((m) => m.id).join(', ')})`, EXIT.invalid);
          found = matches[0]!;
        }
        await client.tokens.revoke(found.id);
        return found;
      });
      if (ctx.output.json) return ctx.output.out(formatJson(target));
      return ctx.output.out(`Revoked API token "${target.name}" (${target.id}).`);
    }));

  addConnection(token.command('exchange'), true)
    .description('Exchange an API token for an access token (the OAuth refresh grant at /oauth/…/token) and print it')
    .option('--header', 'print the header line: Authorization: Bearer …')
    .option('--env', 'print shell exports: OPENDIRECTOR_URL, OPENDIRECTOR_ORG, OPENDIRECTOR_ACCESS_TOKEN')
    .addHelpText('after', `
Examples:
  opendirector token exchange --token-file token.json --url https://vcd.example.net --org acme
  curl -H "$(opendirector token exchange --header)" -H 'Accept: application/*+xml;version=37.0' https://vcd.example.net/api/org
  eval "$(opendirector token exchange --env)"`)
    .action(run(async (ctx, flags: ConnectionFlags & { header?: boolean; env?: boolean }) => {
      const { url, org } = ctx.target(flags);
      const credential = ctx.credential(flags, 'api-token');
      const res = await withProgress('Exchanging the API token', () => exchangeApiToken({ url, org, apiToken: credential.secret }));
      if (ctx.output.json) return ctx.output.out(formatJson(res));
      if (flags.header) return ctx.output.out(`Authorization: Bearer ${res.access_token}`);
      if (flags.env) {
        return ctx.output.out([
          `export OPENDIRECTOR_URL=${shellQuote(url)}`,
          `export OPENDIRECTOR_ORG=${shellQuote(org)}`,
          `export OPENDIRECTOR_ACCESS_TOKEN=${shellQuote(res.access_token)}`,
          `# expires in ${res.expires_in} s`,
        ].join('\n'));
      }
      return ctx.output.out(res.access_token);
    }));
}
