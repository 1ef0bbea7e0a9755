import { appendAuditEvent } from '../../audit/audit-writer.ts';
import type { Principal } from '../../sessions/principal.ts';
import type { PresentedTokenDeps, PresentedTokenKind } from '../presented-token-kind.ts';

const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `iat`/`exp` of a token whose signature SessionService already verified. */
function timesOf(token: string): { iat: number | null; exp: number | null } {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown; exp?: unknown };
    return { iat: typeof claims.iat === 'number' ? claims.iat : null, exp: typeof claims.exp === 'number' ? claims.exp : null };
  } catch {
    return { iat: null, exp: null };
  }
}

/**
 * An access token (spec §3.8): an interactive session's, or one minted from an API token at the
 * token endpoint. Live means exactly what bearer authentication accepts (SessionService), so
 * introspection and the API can never disagree.
 */
export const accessTokenKind: PresentedTokenKind = {
  kind: 'access_token',
  hints: ['access_token'],
  recognises: (token) => token.length <= 4096 && JWS_SHAPE.test(token),

  async inspect(token, deps) {
    const p = await deps.sessions.authenticateAccessToken(token);
    if (!p) return { found: false, active: null };
    const { iat, exp } = timesOf(token);
    return {
      found: true,
      active: {
        tokenType: 'Bearer', orgId: p.orgId, orgName: p.orgName, userId: p.userId, username: p.username,
        clientId: p.apiTokenId, issuedAtSeconds: iat, expiresAtSeconds: exp, scope: null, jti: p.sessionId,
      },
    };
  },

  /**
   * Ends the one session the token belongs to. RFC 7009 §2.1 lets the server revoke the refresh
   * token too when an access token is presented; we do not: an access token leaks more often
   * (logs, browser tools) than the API token it came from, and killing the API token would stop
   * the owner's automation for a leak that one session's end already contains.
   */
  async revoke(token, deps, by) {
    const p = await deps.sessions.authenticateAccessToken(token);
    // Invalid, expired, ended or revoked all look alike here: nothing is live to revoke.
    if (!p) return 'not_found';
    return deps.db.transaction().execute(async (trx) => {
      if (!(await endSessionOnce(trx, p, deps.clock.now()))) return 'not_live';
      await appendAuditEvent(trx, {
        event: 'session.revoked_by_presentation', at: deps.clock.now(),
        actor: { userId: null, userName: null, orgId: p.orgId, orgName: p.orgName, apiTokenId: null, clientIp: by.clientIp },
        entity: { id: p.sessionId, name: p.username, type: 'session' },
        description: `Access token of ${p.username}'s session revoked by presentation at ${by.endpoint} from ${by.clientIp}`,
        properties: {
          'token.owner': p.username, 'token.revokedBy': 'presentation', 'revocation.endpoint': by.endpoint,
          ...(p.apiTokenId ? { 'session.apiTokenId': p.apiTokenId } : {}),
        },
      });
      return 'revoked';
    });
  },
};

/**
 * Ends the session; true when this call ended it. Concurrent presentations of one token race on
 * an insert that ignores conflicts and on `ended_at is null`, so exactly one of them sees true
 * (SessionService.endSession reads then inserts, which two transactions can both pass).
 */
async function endSessionOnce(trx: PresentedTokenDeps['db'], p: Principal, at: Date): Promise<boolean> {
  let ended = 0;
  if (p.apiTokenId !== null) {
    const inserted = await trx.insertInto('ended_token_sessions')
      .values({ id: p.sessionId, api_token_id: p.apiTokenId, expires_at: p.expiresAt })
      .onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    ended += Number(inserted.numInsertedOrUpdatedRows ?? 0);
  }
  const updated = await trx.updateTable('sessions').set({ ended_at: at.toISOString() })
    .where('id', '=', p.sessionId).where('ended_at', 'is', null).executeTakeFirst();
  return ended + Number(updated.numUpdatedRows) > 0;
}
