import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Config } from './config/index.ts';
import { openDatabase, type DatabaseHandle } from './storage/db.ts';
import { migrateToLatest, withStartupLock } from './storage/migrator.ts';
import { startCellNotifications } from './storage/cell-notifications.ts';
import { describeDatabaseError } from './storage/database-unavailable.ts';
import { systemClock, type Clock } from './common/clock.ts';
import { newId } from './common/ids.ts';
import { isSigningKeyDecryptionFailure, SigningKeyRing } from './tokens/signing-keys.ts';
import { KeyEncryptionKeyError, resolveKeyEncryptionKeys, type KeyEncryptionKeys } from './tokens/key-encryption-key.ts';
import { followSigningKeyRotations } from './tokens/signing-key-rotation.ts';
import { SessionService } from './sessions/session-service.ts';
import { LoginService } from './identity/login-service.ts';
import { AuditRetention } from './audit/audit-retention.ts';
import { passwordHasherOf, passwordHashPolicyOf } from './identity/password-hasher.ts';
import { FailureRateLimiter, type FailureLimiter } from './security/rate-limiter.ts';
import { SharedFailureRateLimiter } from './security/shared-failure-rate-limiter.ts';
import { ApiTokenService } from './tokens/api-token-service.ts';
import { ServiceAccountPrincipals, ServiceAccounts } from './service-accounts/index.ts';
import { bootstrap, seedRightsCatalogue, type BootstrapResult } from './tenancy/bootstrap.ts';
import { SYSTEM_ORG_NAME } from './rbac/rights-catalog.ts';
import { verifyPassword } from './identity/password.ts';
import { createHttpApp } from './api/http/create-http-app.ts';
import { registerRoutes } from './api/http/register-routes.ts';
import type { Services } from './api/http/services.ts';
import { allRoutes } from './api/routes.ts';
import { healthRoutes } from './api/health-routes.ts';
import { createManagementServer, registerHttpMetrics, watchPostgresPool } from './metrics/index.ts';
import { createPortal } from './web/serve-portal.ts';
import { StartupError } from './startup/startup-error.ts';
import { explainDatabaseFailure, explainDataDirFailure, explainListenFailure } from './startup/explain-startup-failure.ts';
import { readTlsFiles } from './startup/read-tls-files.ts';
import { terminalLogStream } from './startup/terminal-log-stream.ts';

/** How often a server on the embedded database looks for a `keys` command's change (no NOTIFY there). */
const SIGNING_KEYS_POLL_MS = 2_000;

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly database: DatabaseHandle;
  /** Public origin (resolved after listen when the port was 0). */
  baseUrl(): string;
  /** Listens, then creates the System org and its administrator on first start (bootstrapSystemOrg). */
  listen(): Promise<string>;
  /**
   * Creates the System org and its administrator if the database has none; until then requests
   * wait. listen() calls it; call it directly only to serve `app.inject` without listening.
   */
  bootstrapSystemOrg(): Promise<void>;
  close(): Promise<void>;
  /** URL of the management listener (metrics, probes) once listening; undefined when not configured. */
  managementUrl(): string | undefined;
  /**
   * After listen(), on the start that created the System org with a generated password
   * (printed once by `serve`); undefined before listen() and on every other start.
   */
  readonly generatedAdminPassword: string | undefined;
  /**
   * After listen(): true when OPENDIRECTOR_ADMIN_PASSWORD is set but had no effect, because the
   * administrator already existed and its password is another one (`serve` warns).
   */
  readonly adminPasswordIgnored: boolean;
}

/**
 * Logs never carry secrets: credentials headers, bodies and query strings are not logged.
 * Without a destination: JSON lines on stdout, or, when stdout is a terminal, the same entries
 * as readable lines (terminal-log-stream.ts; colours as the terminal allows, e.g. none with NO_COLOR).
 */
export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  destination ??= process.stdout.isTTY === true ? terminalLogStream(process.stdout, { colour: process.stdout.hasColors?.() === true }) : undefined;
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-vmware-vcloud-access-token"]', 'req.headers["x-vcloud-authorization"]', 'req.headers.cookie', '*.password', '*.refresh_token', '*.access_token', '*.assertion'], censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({ id: req.id, method: req.method, path: req.url?.split('?')[0] }),
    },
  }, destination);
}

async function loadSiteId(handle: DatabaseHandle): Promise<string> {
  const row = await handle.db.selectFrom('schema_meta').select('value').where('key', '=', 'site_id').executeTakeFirst();
  if (row) return row.value;
  const id = newId();
  await handle.db.insertInto('schema_meta').values({ key: 'site_id', value: id }).onConflict((oc) => oc.column('key').doNothing()).execute();
  return (await handle.db.selectFrom('schema_meta').select('value').where('key', '=', 'site_id').executeTakeFirstOrThrow()).value;
}

/** The key-encryption keys, or a StartupError saying what is wrong with them. */
function resolveKeyEncryptionKeysAtStartup(config: Config): KeyEncryptionKeys {
  try {
    return resolveKeyEncryptionKeys(config);
  } catch (err) {
    if (err instanceof KeyEncryptionKeyError) throw new StartupError(err.message, { cause: err });
    // Generating the key file into a data folder this user may not write.
    throw explainDataDirFailure(err, config.dataDir);
  }
}

/** Loads the signing keys; a key-encryption key that does not decrypt them is the operator's to fix. */
async function loadSigningKeysAtStartup(ring: SigningKeyRing, config: Config): Promise<void> {
  try {
    await ring.load();
  } catch (err) {
    if (!isSigningKeyDecryptionFailure(err)) throw err;
    const which = config.keyEncryptionKey ? 'OPENDIRECTOR_KEY_ENCRYPTION_KEY' : `the key-encryption key in ${config.dataDir}/key-encryption-key`;
    throw new StartupError(
      `${which} does not decrypt the signing keys stored in the database: use the key it was set up with` +
        ' (after changing it, give the old one in OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS; see docs/deployment.md).',
      { cause: err },
    );
  }
}

/** Opens once; until then `opened` is pending. */
function bootstrapGate(): { isOpen(): boolean; opened: Promise<void>; open(): void } {
  let isOpen = false;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { isOpen: () => isOpen, opened, open: () => { isOpen = true; open(); } };
}

/** Whether `password` is administrator@System's current password (false when that user is gone). */
async function isAdministratorPassword(db: DatabaseHandle['db'], password: string): Promise<boolean> {
  const row = await db.selectFrom('users').innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select('users.password_hash').where('orgs.name', '=', SYSTEM_ORG_NAME).where('users.username_lower', '=', 'administrator')
    .executeTakeFirst();
  return row !== undefined && (await verifyPassword(password, row.password_hash));
}

/**
 * Composition root (STYLE §1): config, then database and migrations, then services, then routes.
 */
/** How often the expiring-token notices are looked for (issue 17). */
const EXPIRY_NOTICE_INTERVAL_MS = 3_600_000;

export async function createServer(config: Config, opts: { clock?: Clock; logger?: Logger } = {}): Promise<RunningServer> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  // Every step that an operator's mistake can fail (StartupError says which and what to do)
  // runs before the server listens; the cheap local checks before the first database connection.
  let database: DatabaseHandle;
  try {
    database = openDatabase({
      dataDir: config.dataDir, databaseUrl: config.databaseUrl, checkpointInBackground: true,
      connectTimeoutMs: config.databaseConnectTimeoutSeconds * 1000,
      onPoolError: (err) => logger.warn({ reason: describeDatabaseError(err), ...(logger.isLevelEnabled('debug') ? { err } : {}) }, 'idle database connection lost; the pool will reconnect'),
    });
  } catch (err) {
    throw explainDataDirFailure(err, config.dataDir);
  }
  let keks: KeyEncryptionKeys;
  let https: { cert: Buffer; key: Buffer } | undefined;
  let siteId: string;
  let keys: SigningKeyRing;
  try {
    keks = resolveKeyEncryptionKeysAtStartup(config);
    if (config.tlsCertFile && config.tlsKeyFile) https = readTlsFiles(config.tlsCertFile, config.tlsKeyFile);
    try {
      await migrateToLatest(database.db as never, database.caps);
    } catch (err) {
      throw config.databaseUrl ? explainDatabaseFailure(err, config.databaseUrl, config.databaseConnectTimeoutSeconds) : explainDataDirFailure(err, config.dataDir);
    }
    // Cells starting at once on an empty database take turns (issue 6): exactly one creates the
    // first signing key. The System org and its administrator wait until the server listens
    // (listen() below): a start that fails, e.g. on a port in use, creates no administrator and
    // prints no password nobody can use (issue 19).
    await withStartupLock(database.db, database.caps, async (conn) => {
      await seedRightsCatalogue(conn);
      await loadSigningKeysAtStartup(new SigningKeyRing(conn, keks), config);
    });
    siteId = await loadSiteId(database);
    keys = new SigningKeyRing(database.db, keks);
    await loadSigningKeysAtStartup(keys, config);
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  // An outage is two lines, however long it lasts: the loss (warn, one line; the stack only at
  // debug) and the return (info). The attempts in between are for debugging only.
  const withStack = (err: unknown) => (logger.isLevelEnabled('debug') ? { err } : {});
  const notifications = startCellNotifications(database.pgPool, {
    onError: (err, what) => logger.warn({ err }, `${what} failed`),
    onLost: (err) => logger.warn({ reason: describeDatabaseError(err), ...withStack(err) }, 'notification connection lost; reconnecting in the background'),
    onRetryFailed: (err) => logger.debug({ reason: describeDatabaseError(err), err }, 'notification connection: reconnection attempt failed'),
    onRestored: (downMs) => logger.info({ downSeconds: Math.round(downMs / 100) / 10 }, 'notification connection restored'),
  });
  const stopFollowingKeys = followSigningKeyRotations(keys, notifications, {
    onError: (err) => logger.error({ err }, 'could not re-read the signing keys'),
    // Nothing announces a `keys` command run against the embedded database: look every 2 s.
    ...(database.caps.sharedByCells ? {} : { pollEveryMs: SIGNING_KEYS_POLL_MS }),
  });
  const sessions = new SessionService({ db: database.db, clock, keys, siteId, serviceAccounts: new ServiceAccountPrincipals(database.db) });
  // Failed-credential counters must be shared when several cells share the database (issue 6).
  const newLimiter = (): FailureLimiter => (database.caps.sharedByCells
    ? new SharedFailureRateLimiter({ db: database.db, limitPerWindow: config.rateLimitPerMinute, onSweepError: (err) => logger.warn({ err }, 'rate-limit clean-up failed') })
    : new FailureRateLimiter(config.rateLimitPerMinute));
  const loginLimiter = newLimiter();
  const tokenLimiter = newLimiter();
  const passwords = passwordHasherOf(config);
  void passwords.prepareDecoy();
  const services: Services = {
    config, db: database.db, caps: database.caps, clock, logger, siteId, keys, sessions, loginLimiter, tokenLimiter, passwords,
    login: new LoginService({
      db: database.db, clock, sessions, limiter: loginLimiter, passwords,
      sessionTtlSeconds: config.sessionTtlSeconds, totpMaxFailures: config.totpMaxFailures,
      lockoutMs: config.lockoutMinutes * 60_000, knownAddressMs: config.knownAddressDays * 86_400_000,
    }),
    apiTokens: new ApiTokenService({
      db: database.db, clock, sessions, accessTokenTtlSeconds: config.accessTokenTtlSeconds, systemOrgName: SYSTEM_ORG_NAME,
      onBackgroundError: (err) => logger.warn({ err }, 'an audit event of a refused token exchange could not be written'),
    }),
    serviceAccounts: new ServiceAccounts({ db: database.db, clock, sessions, accessTokenTtlSeconds: config.accessTokenTtlSeconds, systemOrgName: SYSTEM_ORG_NAME }),
  };
  // Issue 17: "expires in 7 days" audit events, once per token (a conditional claim, so several
  // cells running the sweep write one event). Hourly, and once shortly after start.
  const noticeExpiring = () => void services.apiTokens.noticeExpiringTokens()
    .catch((err: unknown) => logger.warn({ err }, 'could not write the expiring-token notices'));
  const expiryNoticeTimer = setInterval(noticeExpiring, EXPIRY_NOTICE_INTERVAL_MS);
  expiryNoticeTimer.unref();
  const firstExpiryNotice = setTimeout(noticeExpiring, 5_000);
  firstExpiryNotice.unref();
  const retention = new AuditRetention({
    db: database.db, clock, retentionDays: config.auditRetentionDays, intervalMs: config.auditRetentionIntervalSeconds * 1000,
    onError: (err) => logger.warn({ err }, 'audit retention pass failed; retried at the next one'),
  });
  retention.start();
  let baseUrl = config.publicUrl;
  const portal = createPortal(() => baseUrl);
  const app = createHttpApp({ logger, ...(https ? { https } : {}), trustedProxies: config.trustedProxies });
  const management = config.managementPort === undefined ? undefined : createManagementServer({
    host: config.managementHost, port: config.managementPort, logger,
    registerProbes: (m) => registerRoutes(m, services, healthRoutes, () => baseUrl),
  });
  // Request metrics cost a hook per request: only when something can scrape them.
  if (management) registerHttpMetrics(app);
  const unwatchPool = database.pgPool ? watchPostgresPool(database.pgPool) : () => undefined;
  // Requests that arrive between listen and the end of the bootstrap wait for it (milliseconds,
  // on the first start only), so nobody is told the administrator does not exist yet.
  const systemOrg = bootstrapGate();
  app.addHook('onRequest', (_req, _reply, done) => {
    if (systemOrg.isOpen()) done();
    else void systemOrg.opened.then(() => done());
  });
  registerRoutes(app, services, allRoutes, () => baseUrl);
  portal.register(app, services);
  let boot: BootstrapResult | undefined;
  let adminPasswordIgnored = false;
  const bootstrapSystemOrg = async (): Promise<void> => {
    if (boot) return;
    try {
      boot = await withStartupLock(database.db, database.caps, (conn) => bootstrap(conn, { clock, adminPassword: config.adminPassword, passwordHash: passwordHashPolicyOf(config) }));
      if (!boot.created && config.adminPassword !== undefined) adminPasswordIgnored = !(await isAdministratorPassword(database.db, config.adminPassword));
    } finally {
      systemOrg.open();
    }
  };
  let managementUrl: string | undefined;
  return {
    app, services, database,
    get generatedAdminPassword() { return boot?.generatedAdminPassword; },
    get adminPasswordIgnored() { return adminPasswordIgnored; },
    baseUrl: () => baseUrl,
    managementUrl: () => managementUrl,
    async listen() {
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (err) {
        throw explainListenFailure(err, config.host, config.port);
      }
      const port = (app.server.address() as AddressInfo).port;
      if (config.port === 0) baseUrl = baseUrl.replace(/:0$/, `:${port}`);
      if (management) {
        try {
          managementUrl = await management.listen();
        } catch (err) {
          await app.close();
          throw explainListenFailure(err, config.managementHost, config.managementPort ?? 0);
        }
      }
      try {
        await bootstrapSystemOrg();
      } catch (err) {
        await management?.close().catch(() => undefined);
        await app.close().catch(() => undefined);
        throw err;
      }
      return baseUrl;
    },
    bootstrapSystemOrg,
    async close() {
      await management?.close();
      unwatchPool();
      await app.close();
      clearInterval(expiryNoticeTimer);
      clearTimeout(firstExpiryNotice);
      await retention.stop();
      stopFollowingKeys();
      await notifications.close();
      await services.apiTokens.lastUse.flush().catch(() => undefined);
      await services.apiTokens.failureAudit.close();
      await database.close();
    },
  };
}
