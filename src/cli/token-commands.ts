import type { Command } from 'commander';
import { collect, exchangeApiToken, fiqlAnd, fiqlEquals, isSystemOrg, type OpenDirectorClient, type Token, type TokenCreateOptions } from '../client/index.ts';
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

/**
 * The token table. The columns of issue 17 (where from, expiry, limits, status) follow the
 * original six when asked for (`--wide`) or when any listed token has an expiry, a limit or is no
 * longer active; a list of plain tokens prints exactly the table it always printed.
 */
function printTokens(ctx: CliContext, tokens: Token[], wide = false): void {
  if (ctx.output.json) return ctx.output.out(formatJson(tokens));
  if (tokens.length === 0) return ctx.output.err('No API tokens.');
  const governed = wide || tokens.some((t) => t.expirationTimeUtc || t.allowedNetworks || t.rights || (t.access ?? 'full') !== 'full' || (t.status ?? 'ACTIVE') !== 'ACTIVE');
  const base = (t: Token) => [t.name, t.id, t.owner.name, t.org.name, t.createdAt ?? null, t.lastUsedAt ?? null];
  if (!governed) return ctx.output.out(formatTable(['NAME', 'ID', 'OWNER', 'ORG', 'CREATED', 'LAST USED'], tokens.map(base)));
  return ctx.output.out(formatTable(
    ['NAME', 'ID', 'OWNER', 'ORG', 'CREATED', 'LAST USED', 'FROM', 'EXPIRES', 'ACCESS', 'STATUS'],
    tokens.map((t) => [...base(t), t.lastUsedIp ?? null, t.expirationTimeUtc ?? 'never', limitsSummary(t), t.status ?? 'ACTIVE']),
  ));
}

/** `full`, `read`, plus `+networks` / `+rights` when the token has them. */
function limitsSummary(t: Token): string {
  return [t.access ?? 'full', t.allowedNetworks ? `networks:${t.allowedNetworks.join(',')}` : '', t.rights ? `rights:${t.rights.length}` : '']
    .filter((x) => x !== '').join(' ');
}

/** `90d`, `12w`, `36h` → days from now as an instant; anything else is a usage error. */
export function parseExpiresIn(text: string, now = Date.now()): Date {
  const m = /^(\d{1,6})([hdw])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new CliError(`--expires-in takes a duration such as 90d, 12w or 36h, not "${text}"`, EXIT.usage);
  const hours = Number(m[1]) * (m[2] === 'h' ? 1 : m[2] === 'd' ? 24 : 168);
  return new Date(now + hours * 3_600_000);
}

/** Repeated or comma-separated values of a variadic option. */
function listOf(values: string[] | undefined, splitCommas: boolean): string[] | undefined {
  if (!values) return undefined;
  const out = splitCommas ? values.flatMap((v) => v.split(',')) : values;
  return out.map((v) => v.trim()).filter((v) => v !== '');
}

interface CreateFlags extends ConnectionFlags {
  save?: string; force?: boolean; expiresIn?: string; expiresAt?: string; readOnly?: boolean; rights?: string[]; allowNetwork?: string[];
}

function createOptions(flags: CreateFlags): TokenCreateOptions {
  if (flags.expiresIn && flags.expiresAt) throw new CliError('Give --expires-in or --expires-at, not both', EXIT.usage);
  const rights = listOf(flags.rights, false);
  const networks = listOf(flags.allowNetwork, true);
  return {
    ...(flags.expiresIn ? { expiresAt: parseExpiresIn(flags.expiresIn) } : {}),
    ...(flags.expiresAt ? { expiresAt: flags.expiresAt } : {}),
    ...(flags.readOnly ? { access: 'read' as const } : {}),
    ...(rights ? { rights } : {}),
    ...(networks ? { allowedNetworks: networks } : {}),
  };
}

/** `token create | list | revoke | revoke-all | exchange`. */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('Create, list, revoke and exchange API tokens')
    .addHelpText('after', '\nExamples:\n  opendirector token create ci --save ~/.config/opendirector/ci-token.json\n  opendirector token list --all\n  opendirector token exchange --token-file ~/.config/opendirector/ci-token.json --header');

  addConnection(token.command('create <name>'), false)
    .description('Create an API token for the signed-in user and print its secret once')
    .option('--save <file>', 'write the token to FILE (mode 0600) in the token-file format of the Go SDK and Terraform')
    .option('--force', 'replace FILE if it exists')
    .option('--expires-in <duration>', 'the token stops working after this long: 90d, 12w, 36h (default: never, or your organization\'s policy)')
    .option('--expires-at <time>', 'the token stops working at this RFC 3339 time, e.g. 2027-03-01T00:00:00Z')
    .option('--read-only', 'sessions made from the token may only read (GET) and end themselves')
    .option('--rights <names...>', 'only these of your rights (quote each name; repeatable)')
    .option('--allow-network <cidrs...>', 'only from these networks, e.g. 203.0.113.0/24 2001:db8::/32 (repeatable, comma-separated)')
    .addHelpText('after', `
Examples:
  opendirector token create ci-pipeline
  opendirector token create terraform --save ~/.config/vcd/terraform-token.json
  opendirector token create dashboards --expires-in 90d --read-only --allow-network 10.20.0.0/16
  opendirector token create vm-power --rights 'vApp: View' 'vApp: Power Operations'`)
    .action(run(async (ctx, name: string, flags: CreateFlags) => {
      const options = createOptions(flags);
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
      const created = await withProgress('Creating the API token', () => client.tokens.create(name, options));
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
      const expiry = created.expiresAt ? ` It expires at ${created.expiresAt}.` : '';
      ctx.output.err(`Created API token "${created.name}" (${created.id}).${expiry} The secret is shown once: store it now.`);
      return ctx.output.out(created.token);
    }));

  addConnection(token.command('list'), true)
    .description('List your API tokens (or one user\'s, or every token you may see)')
    .option('--user <name>', 'tokens of this user (needs "Manage all users\' API tokens")')
    .option('--all', 'every token you may see')
    .option('--expiring-within <duration>', 'only tokens that expire within this long: 7d, 2w, 48h')
    .option('--never-used', 'only tokens never exchanged')
    .option('--filter <fiql>', 'any FIQL filter, e.g. "lastUsedAt=lt=2026-01-01T00:00:00Z"')
    .option('--wide', 'also show where each token was last used from, its expiry, limits and status')
    .addHelpText('after', '\nExamples:\n  opendirector token list\n  opendirector token list --all --json\n  opendirector token list --all --expiring-within 7d')
    .action(run(async (ctx, flags: ConnectionFlags & { user?: string; all?: boolean; expiringWithin?: string; neverUsed?: boolean; filter?: string; wide?: boolean }) => {
      const expiringBefore = flags.expiringWithin ? parseExpiresIn(flags.expiringWithin) : undefined;
      const { client } = await ctx.client(flags);
      const tokens = await withProgress('Listing API tokens', async () => {
        let filter: string | undefined = flags.filter;
        if (flags.user) filter = fiqlAnd(filter, fiqlEquals('owner.name', flags.user));
        else if (!flags.all) {
          const self = await me(client);
          filter = fiqlAnd(filter, fiqlEquals('owner.name', self.user), fiqlEquals('org.name', self.org));
        }
        return collect(client.tokens.iterateAll({
          pageSize: 128, sortAsc: 'name', ...(filter ? { filter } : {}),
          ...(expiringBefore ? { expiringBefore } : {}), ...(flags.neverUsed ? { neverUsed: true } : {}),
        }));
      });
      printTokens(ctx, tokens, flags.wide === true);
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

  addConnection(token.command('revoke-all'), true)
    .description('Revoke every API token of one user (needs "Manage all users\' API tokens")')
    .requiredOption('--user <name>', 'the user whose tokens to revoke')
    .addHelpText('after', '\nExamples:\n  opendirector token revoke-all --user bob\n  opendirector token revoke-all --user bob --org acme')
    .action(run(async (ctx, flags: ConnectionFlags & { user: string }) => {
      const { client } = await ctx.client(flags);
      const revoked = await withProgress(`Revoking the API tokens of ${flags.user}`, async () => {
        // The user's live tokens name the user's id; a user with none has nothing to revoke.
        const tokens = await collect(client.tokens.iterateAll({ pageSize: 128, sortAsc: 'name', owner: flags.user }));
        const owners = [...new Set(tokens.map((t) => t.owner.id))];
        if (owners.length > 1) {
          throw new CliError(`${owners.length} users named "${flags.user}" have tokens (in ${[...new Set(tokens.map((t) => t.org.name))].join(', ')}): name the organization with --org`, EXIT.invalid);
        }
        if (owners[0]) await client.tokens.revokeApiTokensOfUser(owners[0]);
        return tokens;
      });
      if (ctx.output.json) return ctx.output.out(formatJson({ user: flags.user, revoked: revoked.map((t) => ({ id: t.id, name: t.name })) }));
      if (revoked.length === 0) return ctx.output.out(`${flags.user} has no API tokens.`);
      return ctx.output.out(`Revoked ${revoked.length} API token(s) of ${flags.user}: ${revoked.map((t) => t.name).join(', ')}.`);
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
