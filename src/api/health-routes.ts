import { checkDatabaseReadiness } from '../storage/readiness.ts';
import { defineRoutes } from './http/route.ts';

/** Budget of the readiness database check: a load balancer's probe must get an answer quickly. */
const READY_DB_TIMEOUT_MS = 1_000;
/** Plain JSON: load balancers and probes send no vCloud Accept header. */
const JSON_TYPE = 'application/json';
/** Probes must never be cached by a proxy between the load balancer and the cell. */
const NO_STORE = { 'cache-control': 'no-store' };

function signingKeysLoaded(keys: { signingKey(): unknown }): boolean {
  try {
    keys.signingKey();
    return true;
  } catch {
    return false;
  }
}

/**
 * Health endpoints for load balancers (issue 6). No authentication, no audit event, no rate
 * limit: they reveal only whether this cell can serve, never why a database error happened.
 * - live: the process answers HTTP (restart it when this fails).
 * - ready: the database answers within a second, its schema is current and the signing keys
 *   are loaded (send it traffic only while this answers 200).
 */
export const healthRoutes = defineRoutes([
  {
    id: 'health.live', method: 'GET', path: '/health/live', family: 'cloudapi', auth: 'none',
    handler: () => ({ body: { status: 'ok' }, contentType: JSON_TYPE, headers: NO_STORE }),
  },
  {
    id: 'health.ready', method: 'GET', path: '/health/ready', family: 'cloudapi', auth: 'none',
    handler: async (ctx) => {
      const db = await checkDatabaseReadiness(ctx.services.db, READY_DB_TIMEOUT_MS);
      const keys = signingKeysLoaded(ctx.services.keys) ? 'ok' : 'missing';
      const ready = db.database === 'ok' && db.migrations === 'ok' && keys === 'ok';
      return {
        status: ready ? 200 : 503,
        contentType: JSON_TYPE,
        headers: NO_STORE,
        body: {
          status: ready ? 'ok' : 'unavailable',
          checks: { database: db.database, migrations: db.migrations, signingKeys: keys },
          ...(db.pendingMigrations.length > 0 ? { pendingMigrations: db.pendingMigrations } : {}),
        },
      };
    },
  },
]);
