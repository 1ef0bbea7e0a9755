import fs from 'node:fs';
import os from 'node:os';
import { CliError, EXIT } from './exit-codes.ts';
import { writePrivateFile } from './private-file.ts';
import { CLI_VERSION } from './version.ts';

/**
 * The API token file the Go SDK and Terraform read and write (`api_token_file`, spec §11):
 * `{"token_type":"API Token","refresh_token":"…","updated_by":"<user agent>","updated_on":"<RFC 3339>"}`.
 */
export interface TokenFile {
  token_type: 'API Token';
  refresh_token: string;
  updated_by: string;
  updated_on: string;
}

/** Written in `updated_by`, in the shape of Terraform's user agent. */
export function userAgent(isProvider: boolean): string {
  return `opendirector-cli/${CLI_VERSION} (${os.platform()}/${os.arch()}; isProvider:${isProvider})`;
}

/** The token file content for a freshly created API token. */
export function tokenFileFor(apiToken: string, isProvider: boolean, now = new Date()): TokenFile {
  return {
    token_type: 'API Token',
    refresh_token: apiToken,
    updated_by: userAgent(isProvider),
    // Go writes time.RFC3339 (seconds precision).
    updated_on: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** Writes the token file with mode 0600; refuses to replace a file unless `overwrite`. */
export function writeTokenFile(file: string, content: TokenFile, overwrite: boolean): void {
  writePrivateFile(file, `${JSON.stringify(content, null, 2)}\n`, { overwrite });
}

/**
 * Reads the API token from a token file. Also takes a file holding just the token (what
 * `echo $TOKEN > file` makes), so people are not punished for the simple thing.
 */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(unreadableTokenFile(file, err), EXIT.usage);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new CliError(`Token file ${file} is not valid JSON`, EXIT.usage);
    }
    const token = (parsed as { refresh_token?: unknown }).refresh_token;
    if (typeof token !== 'string' || token === '') throw new CliError(`Token file ${file} has no "refresh_token"`, EXIT.usage);
    return token;
  }
  if (trimmed === '' || /\s/.test(trimmed)) throw new CliError(`Token file ${file} holds no API token`, EXIT.usage);
  return trimmed;
}

/** True when `file` is a service account's token file (`token_type: "Service Account"`, issue 16). */
export function isServiceAccountTokenFile(file: string): boolean {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { token_type?: unknown };
    return parsed.token_type === 'Service Account';
  } catch {
    return false;
  }
}

/** Why the token file cannot be read, in words, with what to do (not a bare ENOENT). */
function unreadableTokenFile(file: string, err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return `Token file ${file} does not exist: check the path, or create one with \`opendirector token create NAME --save ${file}\``;
    case 'EACCES':
    case 'EPERM':
      return `Token file ${file} cannot be read: permission denied (it should belong to you, mode 0600)`;
    case 'EISDIR':
      return `Token file ${file} is a folder; give the token file's name`;
    case 'ENOTDIR':
      return `Token file ${file} does not exist: part of its path is a file, not a folder`;
    default:
      return `Cannot read token file ${file}: ${err instanceof Error ? err.message : String(err)}`;
  }
}
