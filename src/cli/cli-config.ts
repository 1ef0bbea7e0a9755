import os from 'node:os';
import path from 'node:path';
import type { ClientEnvironmentVariable } from '../config/index.ts';

/** What the CLI takes from the environment. The one place the CLI reads process.env. */
export interface CliEnvironment {
  url: string | undefined;
  org: string | undefined;
  apiToken: string | undefined;
  accessToken: string | undefined;
  profile: string | undefined;
  /** Folder of the profiles. */
  configDir: string;
}

/**
 * Reads the CLI's variables (documented in src/config/schema.ts, `clientEnvironmentVariables`)
 * and works out the config folder: OPENDIRECTOR_CONFIG_DIR, else $XDG_CONFIG_HOME/opendirector,
 * else ~/.config/opendirector (XDG Base Directory spec). Empty values count as unset.
 */
export function readCliEnvironment(env: Record<string, string | undefined> = process.env): CliEnvironment {
  const get = (name: ClientEnvironmentVariable | 'XDG_CONFIG_HOME'): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const xdg = get('XDG_CONFIG_HOME');
  return {
    url: get('OPENDIRECTOR_URL'),
    org: get('OPENDIRECTOR_ORG'),
    apiToken: get('OPENDIRECTOR_API_TOKEN'),
    accessToken: get('OPENDIRECTOR_ACCESS_TOKEN'),
    profile: get('OPENDIRECTOR_PROFILE'),
    configDir: get('OPENDIRECTOR_CONFIG_DIR')
      ?? (xdg && path.isAbsolute(xdg) ? path.join(xdg, 'opendirector') : path.join(os.homedir(), '.config', 'opendirector')),
  };
}
