import { z } from 'zod';
import { trustedProxyListSchema } from './trusted-proxy-list.ts';

/** What pg (pg-connection-string) requires of a connection URL before it tries to connect. */
function isParsableUrl(value: string): boolean {
  return URL.canParse(value);
}

/**
 * Every option OpenDirector reads, with its environment variable, type, default and a
 * one-line doc. `docs/configuration.md` is generated from this table (test/config checks it).
 */
export const configOptions = {
  host: {
    env: 'OPENDIRECTOR_HOST',
    doc: 'Address the HTTP server listens on.',
    schema: z.string().min(1).default('127.0.0.1'),
  },
  port: {
    env: 'OPENDIRECTOR_PORT',
    doc: 'TCP port the HTTP server listens on (0 picks a free port).',
    schema: z.coerce.number().int().min(0).max(65535).default(8080),
  },
  managementPort: {
    env: 'OPENDIRECTOR_MANAGEMENT_PORT',
    doc: 'TCP port of the management listener (GET /metrics in Prometheus format, /health/live, /health/ready); unset: no management listener. Never the public port.',
    schema: z.coerce.number().int().min(0).max(65535).optional(),
  },
  managementHost: {
    env: 'OPENDIRECTOR_MANAGEMENT_HOST',
    doc: 'Address the management listener binds to (plain HTTP, no authentication: keep it on loopback or a private network).',
    schema: z.string().min(1).default('127.0.0.1'),
  },
  publicUrl: {
    env: 'OPENDIRECTOR_PUBLIC_URL',
    doc: 'Origin every href, LoginUrl and Link is built from (default http://HOST:PORT).',
    schema: z.url().optional(),
  },
  dataDir: {
    env: 'OPENDIRECTOR_DATA_DIR',
    doc: 'Folder holding the SQLite database file and generated keys.',
    schema: z.string().min(1).default('./data'),
  },
  adminPassword: {
    env: 'OPENDIRECTOR_ADMIN_PASSWORD',
    doc: 'Password of administrator@System set by the first start on an empty database (generated and printed once when unset); ignored afterwards, with a warning when it differs: see `opendirector admin reset-password`.',
    schema: z.string().min(8).optional(),
  },
  databaseUrl: {
    env: 'OPENDIRECTOR_DATABASE_URL',
    doc: 'postgres://… to use PostgreSQL; unset for the embedded SQLite database.',
    schema: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://')
      // Checked here so a typo stops the start with the variable's name; the message never
      // repeats the value (it holds the password).
      .refine(isParsableUrl, 'is not a valid URL (postgres://user:password@host:5432/database; percent-encode special characters in the password)')
      .optional(),
  },
  databaseConnectTimeoutSeconds: {
    env: 'OPENDIRECTOR_DATABASE_CONNECT_TIMEOUT_SECONDS',
    doc: 'PostgreSQL: how long opening a connection (or waiting for a free one in the pool) may take before the start-up fails or the request answers 503.',
    schema: z.coerce.number().int().min(1).max(300).default(10),
  },
  accessTokenTtlSeconds: {
    env: 'OPENDIRECTOR_ACCESS_TOKEN_TTL_SECONDS',
    doc: 'Lifetime of an access token minted from an API token (expires_in; seed 001 shows 2592000).',
    schema: z.coerce.number().int().min(1).max(31_536_000).default(2_592_000),
  },
  sessionTtlSeconds: {
    env: 'OPENDIRECTOR_SESSION_TTL_SECONDS',
    doc: 'Absolute lifetime of an interactive login session.',
    schema: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
  },
  sessionIdleMinutes: {
    env: 'OPENDIRECTOR_SESSION_IDLE_MINUTES',
    doc: 'Idle timeout reported in Session bodies (sessionIdleTimeoutMinutes).',
    schema: z.coerce.number().int().min(1).max(10_080).default(30),
  },
  passwordHashMemoryKib: {
    env: 'OPENDIRECTOR_PASSWORD_HASH_MEMORY_KIB',
    doc: 'argon2id memory per password hash, KiB (p=1). Default 19456 (19 MiB, OWASP); tests may lower it. Stored hashes at other parameters (or scrypt) are re-hashed at the next successful login.',
    schema: z.coerce.number().int().min(1024).max(4_194_304).optional(),
  },
  passwordHashIterations: {
    env: 'OPENDIRECTOR_PASSWORD_HASH_ITERATIONS',
    doc: 'argon2id passes (t). OWASP: 2 at 19 MiB.',
    schema: z.coerce.number().int().min(1).max(16).default(2),
  },
  passwordHashCost: {
    env: 'OPENDIRECTOR_PASSWORD_HASH_LOG2N',
    doc: 'Deprecated: the scrypt cost (log2 N) of releases before argon2id. Still accepted; when OPENDIRECTOR_PASSWORD_HASH_MEMORY_KIB is unset, argon2id uses the memory this scrypt cost used, 2^LOG2N KiB, capped at 19456 (10 → 1 MiB; 15 and above → the default).',
    schema: z.coerce.number().int().min(10).max(20).optional(),
  },
  passwordHashConcurrency: {
    env: 'OPENDIRECTOR_PASSWORD_HASH_CONCURRENCY',
    doc: 'Password hashes computed at once (each keeps a core busy); 0 = one per core but one (at least one), leaving a core to token grants and bearer calls during a login storm.',
    schema: z.coerce.number().int().min(0).max(256).default(0),
  },
  passwordHashQueue: {
    env: 'OPENDIRECTOR_PASSWORD_HASH_QUEUE',
    doc: 'Password checks allowed to wait for a hashing slot; beyond it a login is answered 503 with Retry-After (so a login storm cannot starve token grants).',
    schema: z.coerce.number().int().min(0).max(100_000).default(64),
  },
  auditRetentionDays: {
    env: 'OPENDIRECTOR_AUDIT_RETENTION_DAYS',
    doc: 'Audit events older than this many days are deleted in small background batches; 0 keeps every event.',
    schema: z.coerce.number().int().min(0).max(36_500).default(90),
  },
  auditRetentionIntervalSeconds: {
    env: 'OPENDIRECTOR_AUDIT_RETENTION_INTERVAL_SECONDS',
    doc: 'Seconds between two audit retention passes (the first runs this long after start-up).',
    schema: z.coerce.number().int().min(1).max(86_400).default(60),
  },
  logLevel: {
    env: 'OPENDIRECTOR_LOG_LEVEL',
    doc: 'pino log level (fatal, error, warn, info, debug, trace, silent).',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  },
  keyEncryptionKey: {
    env: 'OPENDIRECTOR_KEY_ENCRYPTION_KEY',
    doc: 'Secret (≥32 chars) that encrypts JWT signing keys at rest; generated into DATA_DIR when unset.',
    schema: z.string().min(32).optional(),
  },
  previousKeyEncryptionKeys: {
    env: 'OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS',
    doc: 'Comma-separated earlier key-encryption keys that still decrypt stored signing keys, while `keys rewrap` moves them to the current one.',
    schema: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(',')).map((e) => e.trim()).filter((e) => e !== ''))
      .refine((keys) => keys.every((k) => k.length >= 32), 'every key must have at least 32 characters'),
  },
  tlsCertFile: {
    env: 'OPENDIRECTOR_TLS_CERT_FILE',
    doc: 'PEM certificate; with OPENDIRECTOR_TLS_KEY_FILE the server speaks HTTPS.',
    schema: z.string().min(1).optional(),
  },
  tlsKeyFile: {
    env: 'OPENDIRECTOR_TLS_KEY_FILE',
    doc: 'PEM private key for OPENDIRECTOR_TLS_CERT_FILE.',
    schema: z.string().min(1).optional(),
  },
  allowInsecureBind: {
    env: 'OPENDIRECTOR_ALLOW_INSECURE_BIND',
    doc: 'Set to true to listen on a non-loopback address without TLS (behind a TLS proxy).',
    schema: z.stringbool().default(false),
  },
  trustedProxies: {
    env: 'OPENDIRECTOR_TRUSTED_PROXIES',
    doc: 'Comma-separated proxies (IPs, CIDR ranges, loopback, linklocal, uniquelocal) whose X-Forwarded-For gives the client address; unset trusts none.',
    schema: trustedProxyListSchema,
  },
  rateLimitPerMinute: {
    env: 'OPENDIRECTOR_RATE_LIMIT_FAILURES_PER_MINUTE',
    doc: 'Failed credential attempts allowed per minute per source address and per user (per user and address from addresses the user logged in from before) or token; attempts in flight count until they fail or succeed.',
    schema: z.coerce.number().int().min(1).max(100_000).default(20),
  },
  shutdownGraceSeconds: {
    env: 'OPENDIRECTOR_SHUTDOWN_GRACE_SECONDS',
    doc: 'On SIGTERM/SIGINT, how long requests in flight may take before their connections are closed; a second signal exits at once.',
    schema: z.coerce.number().int().min(0).max(3_600).default(10),
  },
  totpMaxFailures: {
    env: 'OPENDIRECTOR_TOTP_MAX_FAILURES',
    doc: 'Consecutive wrong second-factor codes after which interactive logins of the account are locked out (API tokens keep working).',
    schema: z.coerce.number().int().min(1).max(100).default(5),
  },
  lockoutMinutes: {
    env: 'OPENDIRECTOR_LOCKOUT_MINUTES',
    doc: 'How long an automatic lock-out after wrong second-factor codes lasts; it ends by itself (an administrator can unlock sooner).',
    schema: z.coerce.number().int().min(1).max(10_080).default(15),
  },
  knownAddressDays: {
    env: 'OPENDIRECTOR_LOGIN_KNOWN_ADDRESS_DAYS',
    doc: 'A source address a user logged in from successfully within this many days keeps its own login limit, so failures sent from elsewhere cannot lock the user out there.',
    schema: z.coerce.number().int().min(1).max(3_650).default(90),
  },
} as const;

/**
 * Variables of the `opendirector` CLI (read only in src/cli/cli-config.ts), not of the server.
 * loadConfig ignores them, so `opendirector serve` starts in a shell set up for the CLI.
 */
export const clientEnvironmentVariables = {
  OPENDIRECTOR_URL: 'Server URL the CLI talks to when --url is not given (else the profile\'s).',
  OPENDIRECTOR_ORG: 'Organization the CLI acts in when --org is not given (else the profile\'s).',
  OPENDIRECTOR_API_TOKEN: 'API token the CLI exchanges for access tokens (instead of --token-file or the profile).',
  OPENDIRECTOR_ACCESS_TOKEN: 'Access token the CLI sends as is (what `opendirector token exchange --env` exports).',
  OPENDIRECTOR_CONFIG_DIR: 'Folder of the CLI profiles (default $XDG_CONFIG_HOME/opendirector, else ~/.config/opendirector).',
  OPENDIRECTOR_PROFILE: 'CLI profile used when --profile is not given (default "default").',
} as const;

export type ClientEnvironmentVariable = keyof typeof clientEnvironmentVariables;

export type ConfigKey = keyof typeof configOptions;
export type Config = Readonly<{
  [K in ConfigKey]: z.output<(typeof configOptions)[K]['schema']>;
}> & { readonly publicUrl: string };
