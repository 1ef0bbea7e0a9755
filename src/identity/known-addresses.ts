import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';

/**
 * The addresses a user has logged in from successfully (issue 15: "lock-out is not a weapon").
 * We chose a per-user record of recent good addresses over device cookies: it works the same for
 * the portal, curl, the CLI and every SDK (none of which keep cookies between logins), needs no
 * client change, and an attacker who only knows a user name cannot get onto the list — it takes
 * the password and, when enrolled, a second-factor code. The trade-off: a user who shares an
 * address with the attacker (one NAT) shares its limit; one at a new address waits out the
 * per-user limit like anybody else.
 */
export async function isKnownAddress(db: Kysely<Database>, userId: string, clientIp: string, since: Date): Promise<boolean> {
  const row = await db.selectFrom('login_known_addresses').select('user_id').where('user_id', '=', userId).where('client_ip', '=', clientIp)
    .where('last_login_at', '>=', since.toISOString()).executeTakeFirst();
  return row !== undefined;
}

/** Records a successful login from `clientIp` (in the login's transaction). */
export async function rememberAddress(db: Kysely<Database>, userId: string, clientIp: string, at: Date): Promise<void> {
  const lastLoginAt = at.toISOString();
  await db.insertInto('login_known_addresses').values({ user_id: userId, client_ip: clientIp, last_login_at: lastLoginAt })
    .onConflict((oc) => oc.columns(['user_id', 'client_ip']).doUpdateSet({ last_login_at: lastLoginAt })).execute();
}

/**
 * The limiter keys of a login or password check: the source address always; the user alone from
 * an address the user has not logged in from, else the user *at that address*. Failures sent from
 * anywhere else fill the first per-user key but never the second, so the owner keeps logging in
 * from where they logged in before.
 */
export function loginLimitKeys(orgName: string, username: string, clientIp: string, knownAddress: boolean): string[] {
  const user = `${orgName.toLowerCase()}/${username.toLowerCase()}`;
  return [`login-ip:${clientIp}`, knownAddress ? `login-user-at:${user}@${clientIp}` : `login-user:${user}`];
}
