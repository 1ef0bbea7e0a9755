import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCliEnvironment } from '../../src/cli/cli-config.ts';
import { clientEnvironmentVariables, loadConfig } from '../../src/config/index.ts';

describe('the CLI environment', () => {
  it('reads the CLI variables, treating empty ones as unset', () => {
    expect(readCliEnvironment({
      OPENDIRECTOR_URL: 'https://vcd.example.net', OPENDIRECTOR_ORG: 'acme', OPENDIRECTOR_API_TOKEN: 'odt_x',
      OPENDIRECTOR_ACCESS_TOKEN: '', OPENDIRECTOR_PROFILE: 'ci', OPENDIRECTOR_CONFIG_DIR: '/tmp/od',
    })).toEqual({ url: 'https://vcd.example.net', org: 'acme', apiToken: 'odt_x', accessToken: undefined, profile: 'ci', configDir: '/tmp/od' });
  });

  it('keeps profiles in $XDG_CONFIG_HOME/opendirector, else ~/.config/opendirector', () => {
    expect(readCliEnvironment({ XDG_CONFIG_HOME: '/home/u/.cfg' }).configDir).toBe('/home/u/.cfg/opendirector');
    // A relative XDG_CONFIG_HOME is invalid per the XDG spec and ignored.
    expect(readCliEnvironment({ XDG_CONFIG_HOME: 'rel' }).configDir).toBe(path.join(os.homedir(), '.config', 'opendirector'));
    expect(readCliEnvironment({}).configDir).toBe(path.join(os.homedir(), '.config', 'opendirector'));
  });

  it('does not stop `opendirector serve`: loadConfig ignores the documented CLI variables and still refuses typos', () => {
    const env = Object.fromEntries(Object.keys(clientEnvironmentVariables).map((k) => [k, 'x']));
    expect(Object.keys(env).sort()).toEqual([
      'OPENDIRECTOR_ACCESS_TOKEN', 'OPENDIRECTOR_API_TOKEN', 'OPENDIRECTOR_CONFIG_DIR', 'OPENDIRECTOR_ORG', 'OPENDIRECTOR_PROFILE', 'OPENDIRECTOR_URL',
    ]);
    expect(loadConfig(env).port).toBe(8080);
    expect(() => loadConfig({ ...env, OPENDIRECTOR_URLS: 'x' })).toThrow(/Unknown configuration variable\(s\): OPENDIRECTOR_URLS/);
  });
});
