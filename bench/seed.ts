import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../src/storage/database.ts';
import { loadConfig } from '../src/config/index.ts';
import { createServer } from '../src/server.ts';
import { generateApiToken } from '../src/tokens/api-token-format.ts';
import { hashPassword, OWASP_ARGON2ID } from '../src/identity/password.ts';
import { newTotpSecret } from '../src/identity/totp.ts';
import { globalRoleId, rightId } from '../src/tenancy/bootstrap.ts';
import { publishedRoleId, syncPublishedGlobalRoles } from '../src/rbac/global-role-sync.ts';
import { RIGHTS } from '../src/rbac/rights-catalog.ts';
import { BENCH_ADMIN_PASSWORD } from './start-server.ts';

export const BENCH_ORG = 'bench';
export const BENCH_USER_PASSWORD = 'bench-User-Passw0rd!';
/** The predefined role the bench users hold (it carries API Tokens: Manage and Organization: View). */
const BENCH_ROLE = 'vApp Author';

export interface SeedOptions {
  /** API tokens stored in total. */
  tokens: number;
  /** Users the tokens are spread over (round robin). */
  users: number;
  /** Tokens whose secrets are kept for the load generator (the first ones, one per user first). */
  loadTokens: number;
  /** Extra users with a TOTP second factor enrolled, for the login benchmark. */
  totpUsers: number;
}

export interface SeedResult {
  org: string;
  loadTokens: string[];
  /** Names of the password-only users (each holds the bench role and `password`). */
  users: string[];
  totpUsers: { username: string; secret: string }[];
  password: string;
  seconds: number;
}

/** Runs migrations and bootstrap once (the server's own code), then closes: the file is ready. */
export async function prepareDataDir(dataDir: string): Promise<void> {
  const config = loadConfig({}, { host: '127.0.0.1', port: 0, dataDir, adminPassword: BENCH_ADMIN_PASSWORD, logLevel: 'silent' });
  const server = await createServer(config);
  // The System org and its administrator are created once the server listens (issue 19).
  await server.listen();
  await server.close();
}

/**
 * Writes the bench tenant straight into the SQLite file before the server starts: org `bench`
 * with a published bundle granting API Tokens: Manage, `users` users holding the vApp Author
 * role, `tokens` API tokens (only the first `loadTokens` get real, kept secrets; the others get
 * random hashes no token matches), and `totpUsers` users with TOTP enrolled. One transaction,
 * prepared statements: 1,000,000 tokens take seconds.
 */
export async function seedBenchData(dataDir: string, opts: SeedOptions): Promise<SeedResult> {
  const started = process.hrtime.bigint();
  const sqlite = new SQLite(path.join(dataDir, 'opendirector.db'));
  // Seeding is not an acknowledged client write: no fsync per page while loading.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -262144');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const now = new Date().toISOString();
  const orgId = randomUUID();
  await db.insertInto('orgs').values({
    id: orgId, name: BENCH_ORG, name_lower: BENCH_ORG, display_name: 'Benchmark tenant', description: 'Created by bench/seed.ts',
    is_enabled: 1, require_mfa: 0, created_at: now,
  }).execute();
  await syncPublishedGlobalRoles(db, orgId);
  const bundleId = randomUUID();
  await db.insertInto('rights_bundles').values({
    id: bundleId, name: 'Bench API Tokens Bundle', description: 'Publishes API Tokens: Manage to the bench tenant',
    bundle_key: 'com.vmware.vcloud.undefined.key', read_only: 0, publish_all: 0,
  }).execute();
  await db.insertInto('rights_bundle_rights').values({ rights_bundle_id: bundleId, right_id: rightId(RIGHTS.apiTokensManage) }).execute();
  await db.insertInto('rights_bundle_tenants').values({ rights_bundle_id: bundleId, org_id: orgId }).execute();
  const roleId = publishedRoleId(globalRoleId(BENCH_ROLE), orgId);

  const passwordHash = await hashPassword(BENCH_USER_PASSWORD, OWASP_ARGON2ID);
  const insertUser = sqlite.prepare(`insert into users (id, org_id, username, username_lower, full_name, description, email, password_hash,
    enabled, locked, provider_type, totp_secret, totp_pending_secret, totp_enabled, totp_last_step, totp_failures, deployed_vm_quota,
    stored_vm_quota, created_at) values (?, ?, ?, ?, ?, '', '', ?, 1, 0, 'LOCAL', ?, null, ?, 0, 0, 0, 0, ?)`);
  const insertUserRole = sqlite.prepare('insert into user_roles (user_id, role_id, org_id) values (?, ?, ?)');
  const insertToken = sqlite.prepare(`insert into api_tokens (id, org_id, user_id, name, secret_hash, created_at, minted_at,
    last_used_at, last_used_ip, revoked_at, revoked_by) values (?, ?, ?, ?, ?, ?, ?, null, null, null, null)`);

  const userIds: string[] = [];
  const userNames: string[] = [];
  const loadTokens: string[] = [];
  const totpUsers: { username: string; secret: string }[] = [];
  sqlite.transaction(() => {
    for (let i = 0; i < opts.users; i++) {
      const id = randomUUID();
      const name = `user${String(i).padStart(5, '0')}`;
      insertUser.run(id, orgId, name, name, `Bench user ${i}`, passwordHash, null, 0, now);
      insertUserRole.run(id, roleId, orgId);
      userIds.push(id);
      userNames.push(name);
    }
    for (let i = 0; i < opts.totpUsers; i++) {
      const id = randomUUID();
      const name = `totp${String(i).padStart(5, '0')}`;
      const secret = newTotpSecret();
      insertUser.run(id, orgId, name, name, `Bench TOTP user ${i}`, passwordHash, secret, 1, now);
      insertUserRole.run(id, roleId, orgId);
      totpUsers.push({ username: name, secret });
    }
    // Random hashes for the tokens nobody presents: 32 random bytes per row, drawn in chunks.
    const CHUNK = 65_536;
    let pool: Buffer = Buffer.alloc(0);
    let drawn = 0;
    // Ids in key order: the primary-key B-tree is appended to instead of split at random pages.
    const ids: string[] = [];
    for (let i = 0; i < opts.tokens; i++) ids.push(randomUUID());
    ids.sort();
    for (let i = 0; i < opts.tokens; i++) {
      const id = ids[i]!;
      const userId = userIds[i % userIds.length]!;
      let secretHash: string;
      if (i < opts.loadTokens) {
        const t = generateApiToken();
        loadTokens.push(t.token);
        secretHash = t.secretHash;
      } else {
        const at = (drawn++ % CHUNK) * 32;
        if (at === 0) pool = randomBytes(CHUNK * 32);
        secretHash = pool.toString('hex', at, at + 32);
      }
      insertToken.run(id, orgId, userId, `bench-token-${i}`, secretHash, now, now);
    }
  })();
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await db.destroy();
  return {
    org: BENCH_ORG, loadTokens, users: userNames, totpUsers, password: BENCH_USER_PASSWORD,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
