import type { PresentedTokenDeps, PresentedTokenKind, Presenter, RevocationOutcome } from './presented-token-kind.ts';
import { kindsFor, presentedTokenKinds } from './presented-token-kinds.ts';

/**
 * RFC 7009 revocation by presentation: whoever holds a token may revoke it, without an account
 * (the leaked-secret endpoint: a scanner that finds a token in a public repository kills it, as
 * GitHub's secret-scanning partners do). Returns what happened; the endpoint answers 200 whatever
 * it is (RFC 7009 §2.2), and counts `not_found` against the presenter's address.
 */
export async function revokePresentedToken(
  deps: PresentedTokenDeps, token: string, hint: string | undefined, by: Presenter,
  kinds: readonly PresentedTokenKind[] = presentedTokenKinds,
): Promise<RevocationOutcome> {
  for (const kind of kindsFor(token, hint, kinds)) {
    const outcome = await kind.revoke(token, deps, by);
    if (outcome !== 'not_found') return outcome;
  }
  return 'not_found';
}
