import type { Token } from '../../../api/cloudapi/wire.ts';

const WEEK_MS = 7 * 86_400_000;

/** The badges of a token's state (issue 17): why it no longer works, or that it soon will not. */
export function tokenBadges(t: Token, now = Date.now()): { label: string; kind: string }[] {
  const out: { label: string; kind: string }[] = [];
  switch (t.status) {
    case 'EXPIRED': out.push({ label: 'Expired', kind: 'expired' }); break;
    case 'IDLE': out.push({ label: 'Idle', kind: 'idle' }); break;
    case 'DISABLED_BY_POLICY': out.push({ label: 'Disabled by policy', kind: 'expired' }); break;
    case 'NETWORKS_REQUIRED': out.push({ label: 'Needs allowed networks', kind: 'expired' }); break;
    default: {
      const ends = [t.expirationTimeUtc, t.idleExpirationTimeUtc].filter((x): x is string => !!x).map((x) => Date.parse(x));
      if (ends.some((e) => e - now <= WEEK_MS)) out.push({ label: 'Expiring', kind: 'expiring' });
      else out.push({ label: 'Active', kind: 'enabled' });
    }
  }
  if (t.access === 'read') out.push({ label: 'Read-only', kind: 'info' });
  if (t.allowedNetworks) out.push({ label: `Networks: ${t.allowedNetworks.join(', ')}`, kind: 'info' });
  if (t.rights) out.push({ label: `${t.rights.length} right${t.rights.length === 1 ? '' : 's'}`, kind: 'info' });
  return out;
}

export function TokenBadges({ token }: { token: Token }) {
  return <>{tokenBadges(token).map((b) => <span key={b.label} className={`badge ${b.kind}`}>{b.label}</span>)}</>;
}

/** "Never" or the date and time the token stops working. */
export function expiryText(t: Token): string {
  return t.expirationTimeUtc ? new Date(t.expirationTimeUtc).toLocaleString() : 'Never';
}
