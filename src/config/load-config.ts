import { z } from 'zod';
import { clientEnvironmentVariables, configOptions, type Config, type ConfigKey } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads OPENDIRECTOR_* variables once, validates them against the schema, refuses unknown
 * names (except the CLI's, `clientEnvironmentVariables`), and returns a frozen Config. Nothing else in the code reads process.env.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<ConfigKey, unknown>> = {},
): Config {
  const known = new Set(Object.values(configOptions).map((o) => o.env as string));
  // The CLI's own variables (schema.ts, clientEnvironmentVariables) are not server options.
  const unknown = Object.keys(env).filter((k) => k.startsWith('OPENDIRECTOR_') && !known.has(k) && !Object.hasOwn(clientEnvironmentVariables, k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown configuration variable(s): ${unknown.join(', ')}. Known: ${[...known].join(', ')}`,
    );
  }
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, option] of Object.entries(configOptions)) {
    const raw = key in overrides ? overrides[key as ConfigKey] : env[option.env];
    const value = raw === '' ? undefined : raw;
    const parsed = (option.schema as z.ZodType).safeParse(value);
    if (parsed.success) out[key] = parsed.data;
    else problems.push(`${option.env} ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join(' | ')}`);
  if ((out.tlsCertFile === undefined) !== (out.tlsKeyFile === undefined)) {
    throw new ConfigError('OPENDIRECTOR_TLS_CERT_FILE and OPENDIRECTOR_TLS_KEY_FILE go together');
  }
  if (!out.tlsCertFile && !out.allowInsecureBind && !isLoopback(String(out.host))) {
    throw new ConfigError(
      `Refusing to listen on ${String(out.host)} without TLS: set OPENDIRECTOR_TLS_CERT_FILE and OPENDIRECTOR_TLS_KEY_FILE, ` +
        'or OPENDIRECTOR_ALLOW_INSECURE_BIND=true when a TLS-terminating proxy sits in front.',
    );
  }
  if (out.managementPort !== undefined && out.managementPort !== 0 && out.managementPort === out.port) {
    throw new ConfigError('OPENDIRECTOR_MANAGEMENT_PORT must differ from OPENDIRECTOR_PORT: metrics are never served on the public port.');
  }
  const scheme = out.tlsCertFile ? 'https' : 'http';
  // An IPv6 address goes in brackets in a URL (`::1` → `http://[::1]:8080`).
  const host = String(out.host);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const publicUrl = String(out.publicUrl ?? `${scheme}://${urlHost}:${String(out.port)}`);
  out.publicUrl = publicUrl.replace(/\/+$/, '');
  return Object.freeze(out) as Config;
}

/** Loopback addresses, where plain HTTP cannot leak credentials onto a network. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
