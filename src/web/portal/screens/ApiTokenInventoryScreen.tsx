import { useState, type FormEvent } from 'react';
import type { Token } from '../../../api/cloudapi/wire.ts';
import { fiqlValue, listAll, revokeApiToken, revokeApiTokensOfUser, type PortalSession } from '../api.ts';
import type { Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { ConfirmDialog, EmptyState, ErrorMessage, Field, KebabMenu, Loading, formatTime, useLoad } from '../components/ui.tsx';
import { TokenBadges, expiryText } from '../components/TokenBadges.tsx';

type Show = 'all' | 'expiring' | 'expired' | 'neverUsed' | 'idle';

/** The FIQL filter of the chosen view and owner (issue 17's inventory filters). */
function filterFor(show: Show, owner: string, now: number): string | undefined {
  const parts: string[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  if (show === 'expiring') parts.push(`expirationTimeUtc=gt=${iso(now)}`, `expirationTimeUtc=le=${iso(now + 7 * 86_400_000)}`);
  if (show === 'expired') parts.push(`expirationTimeUtc=le=${iso(now)}`);
  if (show === 'neverUsed') parts.push('neverUsed==true');
  if (owner.trim()) parts.push(`owner.name==${fiqlValue(owner.trim())}`);
  return parts.length > 0 ? parts.join(';') : undefined;
}

/**
 * Administration › API tokens (issue 17): every token of the org (the provider: of any org, or all
 * of them) by name only, with expiry, last use and where from, state badges, filters, and per row
 * "Revoke" and "Revoke all of this user's tokens". Needs "Manage all users' API tokens".
 */
export function ApiTokenInventoryScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, scopeLabel, spansAllOrgs, picker } = useOperatingOrg(session, route);
  const [show, setShow] = useState<Show>('all');
  const [owner, setOwner] = useState('');
  const [applied, setApplied] = useState<{ show: Show; owner: string }>({ show: 'all', owner: '' });
  const tokens = useLoad(async () => {
    const filter = filterFor(applied.show, applied.owner, Date.now());
    const all = await listAll<Token>('/cloudapi/1.0.0/tokens/', { sortAsc: 'name', ...(filter ? { filter } : {}) }, tenant);
    return applied.show === 'idle' ? all.filter((t) => t.status === 'IDLE') : all;
  }, [tenant, applied.show, applied.owner]);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [revokingAll, setRevokingAll] = useState<Token | null>(null);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setApplied({ show, owner });
  };
  return (
    <>
      <div className="page-head">
        <h1>API tokens<span className="muted"> · {scopeLabel}</span></h1>
        {picker}
      </div>
      <form className="filters" onSubmit={apply} aria-label="Token filters">
        <Field label="Show">
          {(id) => (
            <select id={id} value={show} onChange={(e) => setShow(e.target.value as Show)}>
              <option value="all">All tokens</option>
              <option value="expiring">Expiring within 7 days</option>
              <option value="expired">Expired</option>
              <option value="idle">Idle</option>
              <option value="neverUsed">Never used</option>
            </select>
          )}
        </Field>
        <Field label="Owner">{(id) => <input id={id} value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="User name" />}</Field>
        <div className="actions left"><button type="submit" className="primary">Apply</button></div>
      </form>
      <ErrorMessage error={tokens.error} />
      {tokens.loading && !tokens.data ? <Loading /> : tokens.data?.length === 0 ? (
        <EmptyState>No API tokens match.</EmptyState>
      ) : (
        <table aria-label="API tokens">
          <thead>
            <tr>
              <th scope="col">Name</th><th scope="col">Owner</th>{spansAllOrgs && <th scope="col">Organization</th>}<th scope="col">Created</th>
              <th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">From</th><th scope="col">Status</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.data?.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.owner.name}</td>
                {spansAllOrgs && <td>{t.org.name}</td>}
                <td>{formatTime(t.createdAt)}</td>
                <td>{expiryText(t)}</td>
                <td>{formatTime(t.lastUsedAt)}</td>
                <td>{t.lastUsedIp ?? '—'}</td>
                <td><TokenBadges token={t} /></td>
                <td className="row-actions">
                  <KebabMenu
                    label={`Actions for token ${t.name} of ${t.owner.name}`}
                    items={[
                      { label: 'Revoke', onSelect: () => setRevoking(t) },
                      { label: `Revoke all of ${t.owner.name}'s tokens`, onSelect: () => setRevokingAll(t) },
                    ]}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && (
        <ConfirmDialog title="Revoke API token" confirmLabel="Revoke" onConfirm={() => revokeApiToken(revoking.id, tenant)} onClose={() => { setRevoking(null); tokens.reload(); }}>
          <p>Revoke <strong>{revoking.name}</strong> of {revoking.owner.name}? Anything using it stops working at once.</p>
        </ConfirmDialog>
      )}
      {revokingAll && (
        <ConfirmDialog
          title="Revoke all tokens of a user" confirmLabel={`Revoke all of ${revokingAll.owner.name}'s tokens`}
          onConfirm={() => revokeApiTokensOfUser(revokingAll.owner.id, tenant)} onClose={() => { setRevokingAll(null); tokens.reload(); }}
        >
          <p>Revoke <strong>every</strong> API token of <strong>{revokingAll.owner.name}</strong> ({revokingAll.org.name})? Every script using them stops at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
