import type { Command } from 'commander';
import { fromAccessToken, fromApiToken, fromServiceAccount, type OpenDirectorClient } from '../client/index.ts';
import { readCliEnvironment, type CliEnvironment } from './cli-config.ts';
import { CliError, describeError, EXIT, type ErrorContext } from './exit-codes.ts';
import { processOutput, type Output } from './output.ts';
import { ProfileStore, type Profile } from './profile-store.ts';
import { withProgress } from './progress.ts';
import { isServiceAccountTokenFile, readTokenFile } from './token-file.ts';
import { normalizeServerUrl } from './server-url.ts';

/** `--url`, `--org`, `--token-file`: where to connect and with which API token. */
export interface ConnectionFlags {
  url?: string;
  org?: string;
  tokenFile?: string;
}

/** A credential and where it came from (error messages and hints depend on it). */
export type Credential =
  | { kind: 'api-token'; secret: string; source: 'token-file' | 'env' | 'profile' }
  | { kind: 'access-token'; secret: string; source: 'env' | 'profile' };

/**
 * Everything a command needs: the environment (read once, cli-config.ts), the profile store,
 * output, and the rules that pick server, org and credential:
 * flag → OPENDIRECTOR_* variable → saved profile.
 */
export class CliContext {
  readonly env: CliEnvironment;
  readonly store: ProfileStore;
  readonly profileName: string;
  readonly output: Output;
  readonly errorContext: ErrorContext = {};
  private cachedProfile: Profile | null = null;

  constructor(globals: { profile?: string; json?: boolean }) {
    this.env = readCliEnvironment();
    this.store = new ProfileStore(this.env.configDir);
    this.profileName = globals.profile ?? this.env.profile ?? 'default';
    this.output = processOutput(globals.json === true);
  }

  profile(): Profile {
    this.cachedProfile ??= this.store.load(this.profileName);
    return this.cachedProfile;
  }

  saveProfile(profile: Profile): void {
    this.store.save(profile);
    this.cachedProfile = profile;
  }

  /** Server URL and org, from flags, then environment, then the profile. */
  target(flags: ConnectionFlags): { url: string; org: string } {
    const p = this.profile();
    const given = flags.url ?? this.env.url ?? p.url;
    const url = given === undefined ? undefined : normalizeServerUrl(given);
    const org = flags.org ?? this.env.org ?? p.org;
    if (!url) throw new CliError('No server: pass --url, set OPENDIRECTOR_URL, or run `opendirector login` first', EXIT.usage);
    if (!org) throw new CliError('No organization: pass --org, set OPENDIRECTOR_ORG, or run `opendirector login` first', EXIT.usage);
    this.errorContext.org = org;
    return { url, org };
  }

  /**
   * The credential to use. `any`: --token-file, OPENDIRECTOR_API_TOKEN, OPENDIRECTOR_ACCESS_TOKEN,
   * the profile's API token, the profile's session. `api-token`: only API tokens. `session`: only
   * an interactive session (creating tokens needs one, spec §8).
   */
  credential(flags: ConnectionFlags, need: 'any' | 'api-token' | 'session'): Credential {
    const p = this.profile();
    const candidates: Array<Credential | null> = need === 'session'
      ? [this.env.accessToken ? { kind: 'access-token', secret: this.env.accessToken, source: 'env' } : null,
        p.sessionToken ? { kind: 'access-token', secret: p.sessionToken, source: 'profile' } : null]
      : [flags.tokenFile ? { kind: 'api-token', secret: readTokenFile(flags.tokenFile), source: 'token-file' } : null,
        this.env.apiToken ? { kind: 'api-token', secret: this.env.apiToken, source: 'env' } : null,
        need === 'any' && this.env.accessToken ? { kind: 'access-token', secret: this.env.accessToken, source: 'env' } : null,
        p.apiToken ? { kind: 'api-token', secret: p.apiToken, source: 'profile' } : null,
        need === 'any' && p.sessionToken ? { kind: 'access-token', secret: p.sessionToken, source: 'profile' } : null];
    const found = candidates.find((c): c is Credential => c !== null);
    if (!found) throw new CliError(this.missingCredential(need, p), EXIT.auth);
    this.errorContext.credential = found.kind === 'api-token'
      ? (found.source === 'profile' ? 'profile-api-token' : 'api-token')
      : (found.source === 'profile' ? 'profile-session' : 'access-token');
    return found;
  }

  /**
   * Why no credential fits. "Not signed in" would be a lie when the profile holds the other kind
   * (a password session for `token exchange`, an API token for `token create`), and `login` with
   * a password would not help the former: say what the profile has and what is needed.
   */
  private missingCredential(need: 'any' | 'api-token' | 'session', p: Profile): string {
    const where = `profile "${this.profileName}"`;
    if (need === 'api-token' && (p.sessionToken || this.env.accessToken)) {
      return `This needs an API token, and ${p.sessionToken ? `${where} holds a password session` : 'OPENDIRECTOR_ACCESS_TOKEN is an access token'}: `
        + 'pass --token-file FILE, set OPENDIRECTOR_API_TOKEN, or save one with `opendirector login --token-file FILE`';
    }
    if (need === 'session' && (p.apiToken || this.env.apiToken)) {
      return `This needs a password session, and ${p.apiToken ? `${where} holds an API token` : 'OPENDIRECTOR_API_TOKEN is an API token'} `
        + '(a session made from an API token cannot create tokens): run `opendirector login --user NAME`';
    }
    const how = need === 'session' ? 'run `opendirector login`'
      : need === 'api-token' ? 'pass --token-file FILE, set OPENDIRECTOR_API_TOKEN, or save one with `opendirector login --token-file FILE`'
        : 'pass --token-file FILE, set OPENDIRECTOR_API_TOKEN, or run `opendirector login`';
    return `Not signed in (${where}): ${how}`;
  }

  /** An SDK client for the resolved server, org and credential (exchanging an API token first). */
  async client(flags: ConnectionFlags, need: 'any' | 'api-token' | 'session' = 'any'): Promise<{ client: OpenDirectorClient; credential: Credential }> {
    const { url, org } = this.target(flags);
    // A service account's token file (issue 16): each use rotates the token and rewrites the file.
    if (flags.tokenFile && need !== 'session' && isServiceAccountTokenFile(flags.tokenFile)) {
      this.errorContext.credential = 'api-token';
      const file = flags.tokenFile;
      const client = await withProgress('Refreshing the service account token', () => fromServiceAccount({ url, org, file, updatedBy: 'opendirector-cli' }));
      return { client, credential: { kind: 'api-token', secret: '', source: 'token-file' } };
    }
    const credential = this.credential(flags, need);
    const client = credential.kind === 'api-token'
      ? await withProgress('Exchanging the API token', () => fromApiToken({ url, org, apiToken: credential.secret }))
      : fromAccessToken({ url, org, accessToken: credential.secret });
    return { client, credential };
  }
}

/**
 * Wraps a commander action: builds the context from the global options, runs the command and
 * turns any error into one line on stderr and an exit code (exit-codes.ts).
 */
export function run<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const ctx = new CliContext(command.optsWithGlobals<{ profile?: string; json?: boolean }>());
    try {
      await fn(ctx, ...(args.slice(0, -1) as A));
    } catch (err) {
      const { line, exitCode } = describeError(err, ctx.errorContext);
      process.stderr.write(`${line}\n`);
      process.exitCode = exitCode;
    }
  };
}
