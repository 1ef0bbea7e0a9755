import { appendAuditEvent } from '../../audit/audit-writer.ts';
import { parseApiToken, secretHashesMatch } from '../../tokens/api-token-format.ts';
import { effectiveExpiryMs, TOKEN_GOVERNANCE_COLUMNS, tokenRefusal } from '../../tokens/token-limits.ts';
import type { ActiveTokenFacts, PresentedTokenDeps, PresentedTokenKind } from '../presented-token-kind.ts';

/** The presented API token's row, its owner and org, or undefined; the secret compared in constant time. */
async function findApiToken(token: string, deps: PresentedTokenDeps) {
  const lookup = parseApiToken(token);
  if (!lookup) return undefined;
  const row = await deps.db.selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .innerJoin('orgs as o', 'o.id', 't.org_id')
    .leftJoin('api_token_policies as tp', 'tp.org_id', 't.org_id')
    .select(TOKEN_GOVERNANCE_COLUMNS)
    .select([
      't.id', 't.name', 't.org_id', 't.user_id', 't.secret_hash', 't.revoked_at', 't.minted_at', 't.created_at',
      'u.username', 'u.enabled', 'o.name as orgName', 'o.is_enabled as orgEnabled',
    ])
    .$call((q) => (lookup.by === 'hash' ? q.where('t.secret_hash', '=', lookup.secretHash) : q.where('t.id', '=', lookup.id)))
    .executeTakeFirst();
  if (!row?.secret_hash || !secretHashesMatch(lookup.secretHash, row.secret_hash)) return undefined;
  return row;
}

/**
 * An API token (the `refresh_token` of spec §4.4), found by the hash of the presented string as
 * the token endpoint finds it. Live means: not revoked, owner enabled (an automatic lock-out does not
 * stop tokens, issue 15), org enabled
 * (the System org cannot be disabled) — what the refresh grant checks.
 * Issue 17: a token past its expiry (its own or its org policy's maximum), idle past the policy's
 * limit, or refused by its org's policy is inactive; `exp` is its expiry when it has one. Its
 * allowed networks are not matched against any address: they limit where it is used, not whether it is live.
 */
export const apiTokenKind: PresentedTokenKind = {
  kind: 'api_token',
  hints: ['refresh_token'],
  recognises: (token) => parseApiToken(token) !== null,

  async inspect(token, deps) {
    const row = await findApiToken(token, deps);
    if (!row) return { found: false, active: null };
    const live = row.revoked_at === null && row.enabled === 1
      && (row.orgEnabled === 1 || row.orgName === deps.systemOrgName);
    if (!live || tokenRefusal(row, deps.clock.now().getTime(), null, true) !== null) {
      return { found: true, active: null };
    }
    const expiryMs = effectiveExpiryMs(row);
    const issuedAt = row.minted_at ?? row.created_at;
    const facts: ActiveTokenFacts = {
      // Not `Bearer`: an API token is no access token, and a gateway that checks token_type
      // must not let one through as a bearer credential (RFC 7662 §2.2 leaves the value open).
      tokenType: 'refresh_token',
      orgId: row.org_id, orgName: row.orgName, userId: row.user_id, username: row.username,
      clientId: row.id, issuedAtSeconds: Math.floor(Date.parse(issuedAt) / 1000), expiresAtSeconds: expiryMs === null ? null : Math.floor(expiryMs / 1000), scope: null, jti: null,
    };
    return { found: true, active: facts };
  },

  async revoke(token, deps, by) {
    const row = await findApiToken(token, deps);
    if (!row) return 'not_found';
    // A leaked token is revoked whatever its owner's or org's state: disabling is reversible,
    // and the secret stays leaked.
    if (row.revoked_at !== null) return 'not_live';
    const { db, clock } = deps;
    return db.transaction().execute(async (trx) => {
      const now = clock.now();
      // `revoked_at is null` decides which of concurrent presentations revokes (and audits) it.
      const updated = await trx.updateTable('api_tokens').set({ revoked_at: now.toISOString(), revoked_by: null })
        .where('id', '=', row.id).where('org_id', '=', row.org_id).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return 'not_live';
      // Sessions minted before token sessions became stateless have rows; the others die with the token.
      await trx.updateTable('sessions').set({ ended_at: now.toISOString() })
        .where('api_token_id', '=', row.id).where('ended_at', 'is', null).execute();
      await appendAuditEvent(trx, {
        event: 'api_token.revoked_by_presentation', at: now,
        // Nobody is authenticated: the presenter is an address. Filed under the token's org.
        actor: { userId: null, userName: null, orgId: row.org_id, orgName: row.orgName, apiTokenId: null, clientIp: by.clientIp },
        entity: { id: row.id, name: row.name, type: 'token' },
        description: `API token "${row.name}" of ${row.username} revoked by presentation at ${by.endpoint} from ${by.clientIp}`,
        properties: { 'token.owner': row.username, 'token.revokedBy': 'presentation', 'revocation.endpoint': by.endpoint },
      });
      return 'revoked';
    });
  },
};
