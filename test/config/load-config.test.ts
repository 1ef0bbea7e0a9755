import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config/index.ts';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: './data', accessTokenTtlSeconds: 2592000, publicUrl: 'http://127.0.0.1:8080' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('has no management listener unless OPENDIRECTOR_MANAGEMENT_PORT is set, and never one on the public port (issue 19)', () => {
    expect(loadConfig({}).managementPort).toBeUndefined();
    expect(loadConfig({ OPENDIRECTOR_MANAGEMENT_PORT: '9100' })).toMatchObject({ managementPort: 9100, managementHost: '127.0.0.1' });
    expect(() => loadConfig({ OPENDIRECTOR_MANAGEMENT_PORT: '8080' })).toThrow(/OPENDIRECTOR_MANAGEMENT_PORT must differ from OPENDIRECTOR_PORT/);
  });

  it('refuses unknown OPENDIRECTOR_ variables by name', () => {
    expect(() => loadConfig({ OPENDIRECTOR_PROT: '1' })).toThrow(/Unknown configuration variable\(s\): OPENDIRECTOR_PROT/);
  });

  it('names the variable that is invalid', () => {
    expect(() => loadConfig({ OPENDIRECTOR_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ OPENDIRECTOR_PORT: 'eighty' })).toThrow(/OPENDIRECTOR_PORT/);
    expect(() => loadConfig({ OPENDIRECTOR_DATABASE_URL: 'mysql://x' })).toThrow(/OPENDIRECTOR_DATABASE_URL/);
  });

  it('builds the public URL from host and port, trimming a trailing slash from an explicit one', () => {
    expect(loadConfig({ OPENDIRECTOR_PORT: '9000' }).publicUrl).toBe('http://127.0.0.1:9000');
    // An IPv6 address is bracketed, or every href would be unparsable.
    expect(loadConfig({ OPENDIRECTOR_HOST: '::1' }).publicUrl).toBe('http://[::1]:8080');
    expect(loadConfig({ OPENDIRECTOR_HOST: '::', OPENDIRECTOR_ALLOW_INSECURE_BIND: 'true' }).publicUrl).toBe('http://[::]:8080');
    expect(loadConfig({ OPENDIRECTOR_PUBLIC_URL: 'https://vcd.example.net/' }).publicUrl).toBe('https://vcd.example.net');
  });

  it('refuses a non-loopback address without TLS unless explicitly allowed', () => {
    expect(() => loadConfig({ OPENDIRECTOR_HOST: '0.0.0.0' })).toThrow(/without TLS/);
    expect(loadConfig({ OPENDIRECTOR_HOST: '0.0.0.0', OPENDIRECTOR_ALLOW_INSECURE_BIND: 'true' }).host).toBe('0.0.0.0');
    expect(() => loadConfig({ OPENDIRECTOR_TLS_CERT_FILE: '/x.pem' })).toThrow(/go together/);
  });

  it('refuses a database URL that does not parse without repeating it (it holds the password)', () => {
    expect(() => loadConfig({ OPENDIRECTOR_DATABASE_URL: 'postgres://od:S3cret@db:99999/od' })).toThrow(/OPENDIRECTOR_DATABASE_URL is not a valid URL/);
    expect(() => loadConfig({ OPENDIRECTOR_DATABASE_URL: 'postgres://od:S3cret@db:99999/od' })).not.toThrow(/S3cret/);
    expect(loadConfig({ OPENDIRECTOR_DATABASE_URL: 'postgres:///od?host=/run/postgresql' }).databaseUrl).toBe('postgres:///od?host=/run/postgresql');
  });

  it('gives requests 10 s to finish on shutdown unless told otherwise', () => {
    expect(loadConfig({}).shutdownGraceSeconds).toBe(10);
    expect(loadConfig({ OPENDIRECTOR_SHUTDOWN_GRACE_SECONDS: '0' }).shutdownGraceSeconds).toBe(0);
  });
});
