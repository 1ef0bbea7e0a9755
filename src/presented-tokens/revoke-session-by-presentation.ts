import { appendAuditEvent } from '../audit/audit-writer.ts';
import type { Principal } from '../sessions/principal.ts';
import type { PresentedTokenDeps, Presenter, RevocationOutcome } from './presented-token-kind.ts';

/**
 * Ends the session a presented access token or legacy token belongs to, and audits
 * `session.revoked_by_presentation` in the same transaction. Concurrent presentations of one
 * token race on an insert that ignores conflicts and on `ended_at is null`, so exactly one of them
 * ends and audits it (SessionService.endSession reads then inserts, which two transactions can
 * both pass).
 */
export async function revokeSessionByPresentation(deps: PresentedTokenDeps, p: Principal, by: Presenter, credential: string): Promise<RevocationOutcome> {
  return deps.db.transaction().execute(async (trx) => {
    const at = deps.clock.now();
    let ended = 0;
    if (p.apiTokenId !== null) {
      const inserted = await trx.insertInto('ended_token_sessions')
        .values({ id: p.sessionId, api_token_id: p.apiTokenId, expires_at: p.expiresAt })
        .onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
      ended += Number(inserted.numInsertedOrUpdatedRows ?? 0);
    }
    // Interactive sessions, and token-derived ones minted before those became stateless, have a row.
    const updated = await trx.updateTable('sessions').set({ ended_at: at.toISOString() })
      .where('id', '=', p.sessionId).where('ended_at', 'is', null).executeTakeFirst();
    if (ended + Number(updated.numUpdatedRows) === 0) return 'not_live';
    await appendAuditEvent(trx, {
      event: 'session.revoked_by_presentation', at,
      // Nobody is authenticated: the presenter is an address. Filed under the session's org.
      actor: { userId: null, userName: null, orgId: p.orgId, orgName: p.orgName, apiTokenId: null, clientIp: by.clientIp },
      entity: { id: p.sessionId, name: p.username, type: 'session' },
      description: `${credential} of ${p.username}'s session revoked by presentation at ${by.endpoint} from ${by.clientIp}`,
      properties: {
        'token.owner': p.username, 'token.revokedBy': 'presentation', 'revocation.endpoint': by.endpoint,
        ...(p.apiTokenId ? { 'session.apiTokenId': p.apiTokenId } : {}),
      },
    });
    return 'revoked';
  });
}
