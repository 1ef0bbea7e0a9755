import fs from 'node:fs';
import path from 'node:path';
import { CliError, EXIT } from './exit-codes.ts';
import { ensurePrivateDir, writePrivateFile } from './private-file.ts';

/** A saved connection: where, as whom, and the secrets to get in. */
export interface Profile {
  name: string;
  url?: string | undefined;
  org?: string | undefined;
  user?: string | undefined;
  /** Access token of an interactive session (`opendirector login`). */
  sessionToken?: string | undefined;
  /** API token saved with `opendirector login --token-file`. */
  apiToken?: string | undefined;
}

interface ProfileFile {
  url?: string;
  org?: string;
  user?: string;
  updatedAt?: string;
}

interface SecretsFile {
  sessionToken?: string;
  apiToken?: string;
}

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

function readJson<T>(file: string): T | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`${file} is not valid JSON; fix or delete it`, EXIT.usage);
  }
}

/**
 * Profiles in `<config dir>/profiles/`: `<name>.json` holds url, org and user; secrets live apart
 * in `<name>.secrets.json`. Both files are mode 0600 and the folder 0700.
 */
export class ProfileStore {
  private readonly dir: string;

  constructor(configDir: string) {
    this.dir = path.join(configDir, 'profiles');
  }

  private files(name: string): { profile: string; secrets: string } {
    if (!NAME.test(name)) throw new CliError(`Invalid profile name "${name}": use letters, digits, ".", "_" and "-"`, EXIT.usage);
    return { profile: path.join(this.dir, `${name}.json`), secrets: path.join(this.dir, `${name}.secrets.json`) };
  }

  /** The profile, or an empty one when it was never saved. */
  load(name: string): Profile {
    const f = this.files(name);
    const p = readJson<ProfileFile>(f.profile) ?? {};
    const s = readJson<SecretsFile>(f.secrets) ?? {};
    return { name, url: p.url, org: p.org, user: p.user, sessionToken: s.sessionToken, apiToken: s.apiToken };
  }

  save(profile: Profile): void {
    const f = this.files(profile.name);
    ensurePrivateDir(this.dir);
    const p: ProfileFile = { url: profile.url, org: profile.org, user: profile.user, updatedAt: new Date().toISOString() };
    writePrivateFile(f.profile, `${JSON.stringify(p, null, 2)}\n`, { overwrite: true });
    const s: SecretsFile = { sessionToken: profile.sessionToken, apiToken: profile.apiToken };
    writePrivateFile(f.secrets, `${JSON.stringify(s, null, 2)}\n`, { overwrite: true });
  }

  /** Where the secrets of a profile are kept (for messages). */
  secretsPath(name: string): string {
    return this.files(name).secrets;
  }
}
