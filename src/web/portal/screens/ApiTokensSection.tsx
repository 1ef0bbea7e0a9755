import { useRef, useState, type FormEvent } from 'react';
import type { ApiTokenPolicy, OAuthRegisterRequest, Token } from '../../../api/cloudapi/wire.ts';
import { createApiToken, fiqlValue, getTokenPolicy, listAll, revokeApiToken, uuidOf, type PortalSession } from '../api.ts';
import { useLeaveGuard } from '../router.ts';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Field, KebabMenu, Loading, formatTime, useAction, useLoad } from '../components/ui.tsx';
import { TokenBadges, expiryText } from '../components/TokenBadges.tsx';

/**
 * User preferences › API Tokens (seeds 000–003): the caller's own tokens by name, created and
 * last-used times; New shows the secret once; each row's ⋮ menu revokes after a confirmation.
 */
export function ApiTokensSection({ session }: { session: PortalSession }) {
  const tokens = useLoad(async () => {
    const all = await listAll<Token>('/cloudapi/1.0.0/tokens/', { filter: `owner.id==${fiqlValue(session.user.id)}` });
    return all.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  }, [session.user.id]);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<Token | null>(null);
  // After a revoke, focus goes to New: the revoked row and its ⋮ button are about to go.
  const newButton = useRef<HTMLButtonElement>(null);
  const revoked = useRef(false);

  return (
    <section aria-labelledby="api-tokens-title" className="panel">
      <div className="panel-head">
        <h2 id="api-tokens-title">API Tokens</h2>
        <button ref={newButton} type="button" className="primary" onClick={() => setCreating(true)}>New</button>
      </div>
      <p className="muted">
        Scripts and tools such as Terraform use an API token instead of your password and second factor.
        Give a token an expiry, read-only access or allowed networks when you create it, and revoke the ones you no longer need.
      </p>
      <ErrorMessage error={tokens.error} />
      {tokens.loading && !tokens.data ? <Loading /> : tokens.data?.length === 0 ? (
        <EmptyState>You have no API tokens. Choose New to create one.</EmptyState>
      ) : (
        <div className="table-wrap"><table>
          <thead>
            <tr>
              <th scope="col">Name</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th>
              <th scope="col">From</th><th scope="col">Status</th><th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.data?.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{formatTime(t.createdAt)}</td>
                <td>{expiryText(t)}</td>
                <td>{formatTime(t.lastUsedAt)}</td>
                <td>{t.lastUsedIp ?? '—'}</td>
                <td><TokenBadges token={t} /></td>
                <td className="row-actions"><KebabMenu label={`Actions for token ${t.name}`} items={[{ label: 'Revoke', onSelect: () => { revoked.current = false; setRevoking(t); } }]} /></td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      {creating && <NewTokenDialog session={session} onClose={() => { setCreating(false); tokens.reload(); }} />}
      {revoking && (
        <ConfirmDialog
          title="Revoke API token" confirmLabel="Revoke"
          onConfirm={() => revokeApiToken(revoking.id).then(() => { revoked.current = true; })}
          // Revoked, cancelled or refused: the list may be out of date (another tab, an admin), refresh it.
          onClose={() => { setRevoking(null); tokens.reload(); }}
          returnFocus={() => (revoked.current ? newButton.current : null)}
        >
          <p>Revoke <strong>{revoking.name}</strong>? Anything using it stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

const LEAVE_QUESTION = 'Leave this page? The API token\'s secret is shown only once: if you have not copied it, it is lost (the token stays valid until you revoke it).';

/**
 * New token: ask for a name, create it, show the secret once with a Copy button. The secret lives
 * only in this component's state: closing the dialog unmounts it, and a reload never sees it.
 * While the token is being created the dialog cannot be closed: the server already holds the new
 * token, and closing then would throw away its only copy of the secret.
 */
function NewTokenDialog({ session, onClose }: { session: PortalSession; onClose: () => void }) {
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [expiresAt, setExpiresAt] = useState<string | null>(null);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const action = useAction();
  // The org's policy decides which expiries are offered (none at all when it sets a maximum).
  // A background read: if the session has ended, the Create that follows says so (not this read).
  const policy = useLoad(() => getTokenPolicy(uuidOf(session.org.id), { keepSessionOn401: true }).catch(() => null), [session.org.id]);
  const [limits, setLimits] = useState<LimitsForm>({ expiry: 'default', customDate: '', readOnly: false, limitRights: false, rights: [], networks: '' });
  // Once the secret is shown, only OK closes the dialog (seed 002: "once you click OK you can no
  // longer display it"): Escape says to copy first; Back asks, and a reload or closing the tab has
  // the browser ask, for the secret would be gone while the token lives on.
  const [nudged, setNudged] = useState(false);
  useLeaveGuard(secret !== null ? LEAVE_QUESTION : null);

  const close = () => {
    if (!action.busy) onClose();
  };
  const create = async (e: FormEvent) => {
    e.preventDefault();
    await action.run(async () => {
      const created = await createApiToken(session, name.trim(), limitsBody(limits));
      setExpiresAt(created.expiresAt);
      setSecret(created.token);
    });
  };
  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      // No clipboard permission (or an insecure origin): select the text and use the legacy
      // command, which reports whether it copied. Never claim a copy that did not happen.
      field.current?.select();
      setCopied(document.execCommand('copy') ? 'yes' : 'failed');
    }
  };

  if (secret === null) {
    return (
      <Dialog title="New API token" onClose={close}>
        <form onSubmit={create}>
          <Field label="Token name" hint="A name that tells you where the token is used, for example terraform-ci.">
            {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} autoFocus />}
          </Field>
          {policy.loading ? <Loading /> : <LimitsFields policy={policy.data ?? null} rights={session.rights} form={limits} onChange={setLimits} />}
          <ErrorMessage error={action.error} />
          <div className="actions">
            <button type="button" onClick={close} disabled={action.busy}>Cancel</button>
            <button type="submit" className="primary" disabled={action.busy}>{action.busy ? 'Creating…' : 'Create'}</button>
          </div>
        </form>
      </Dialog>
    );
  }
  // The same <Dialog> element as the form's (not a new one), so it stays open and Copy keeps focus.
  return (
    <Dialog title="API token created" onClose={() => setNudged(true)} className="wide">
      <p className="warning" role="alert">
        Copy this token now and keep it somewhere safe. It will not be shown again: if you lose it, revoke it and create a new one.
      </p>
      {nudged && <p className="muted" role="status">The token is shown only here: copy it, then choose OK to close.</p>}
      <Field label={`API token "${name.trim()}"`}>
        {(id) => <input id={id} ref={field} className="secret" value={secret} readOnly onFocus={(e) => e.target.select()} />}
      </Field>
      <p className="muted">{expiresAt ? `It expires on ${new Date(expiresAt).toLocaleString()}.` : 'It does not expire.'}</p>
      <div className="actions">
        <span role="status" className="muted">
          {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Could not copy: the token is selected, copy it with Ctrl+C (⌘C).' : ''}
        </span>
        {/* Focus starts on Copy: the form that held it is gone, and a keyboard user's next step is to copy. */}
        <button type="button" onClick={copy} autoFocus>Copy</button>
        {/* "OK", as in VCD's own dialog (seed 002: "once you click OK you can no longer display it"). */}
        <button type="button" className="primary" onClick={onClose}>OK</button>
      </div>
    </Dialog>
  );
}

interface LimitsForm {
  /** `default`: what the org's policy says (never, without a policy); else days, `custom` or `never`. */
  expiry: 'default' | '30' | '90' | '365' | 'custom' | 'never';
  customDate: string;
  readOnly: boolean;
  limitRights: boolean;
  rights: string[];
  networks: string;
}

/** The register body's optional limits (issue 17) from the dialog's fields. */
function limitsBody(f: LimitsForm): Omit<OAuthRegisterRequest, 'client_name'> {
  const body: Omit<OAuthRegisterRequest, 'client_name'> = {};
  if (f.expiry === '30' || f.expiry === '90' || f.expiry === '365') body.expires_at = new Date(Date.now() + Number(f.expiry) * 86_400_000).toISOString();
  // The end of the chosen day, in UTC.
  if (f.expiry === 'custom' && f.customDate) body.expires_at = `${f.customDate}T23:59:59Z`;
  if (f.readOnly) body.access = 'read';
  if (f.limitRights) body.rights = f.rights;
  const networks = f.networks.split(/[\s,]+/).filter((n) => n !== '');
  if (networks.length > 0) body.allowed_networks = networks;
  return body;
}

const EXPIRY_CHOICES: { value: LimitsForm['expiry']; label: string; days?: number }[] = [
  { value: '30', label: '30 days', days: 30 }, { value: '90', label: '90 days', days: 90 }, { value: '365', label: '365 days', days: 365 },
  { value: 'custom', label: 'Custom date' }, { value: 'never', label: 'Never' },
];

/** Expiry, read-only, a rights picker and allowed networks, as the org's policy allows them. */
function LimitsFields({ policy, rights, form, onChange }: { policy: ApiTokenPolicy | null; rights: string[]; form: LimitsForm; onChange: (f: LimitsForm) => void }) {
  const set = (patch: Partial<LimitsForm>) => onChange({ ...form, ...patch });
  const max = policy?.maxLifetimeDays ?? null;
  const dflt = policy?.defaultLifetimeDays ?? max;
  const choices = EXPIRY_CHOICES.filter((c) => (c.value === 'never' ? max === null : c.days === undefined || max === null || c.days <= max));
  const latest = max === null ? undefined : new Date(Date.now() + max * 86_400_000).toISOString().slice(0, 10);
  return (
    <fieldset className="limits">
      <legend>Limits</legend>
      <Field label="Expires" hint={max !== null ? `Your organization allows tokens of at most ${max} days.` : undefined}>
        {(id) => (
          <select id={id} value={form.expiry} onChange={(e) => set({ expiry: e.target.value as LimitsForm['expiry'] })}>
            <option value="default">{dflt === null ? 'Never (default)' : `In ${dflt} days (organization default)`}</option>
            {choices.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        )}
      </Field>
      {form.expiry === 'custom' && (
        <Field label="Expiry date">
          {(id) => <input id={id} type="date" value={form.customDate} min={new Date().toISOString().slice(0, 10)} max={latest} onChange={(e) => set({ customDate: e.target.value })} required />}
        </Field>
      )}
      <label className="check"><input type="checkbox" checked={form.readOnly} onChange={(e) => set({ readOnly: e.target.checked })} />Read-only: scripts using this token can only read</label>
      <label className="check"><input type="checkbox" checked={form.limitRights} onChange={(e) => set({ limitRights: e.target.checked, rights: e.target.checked ? form.rights : [] })} />Only some of my rights</label>
      {form.limitRights && (
        <ul className="checks rights" aria-label="Rights of the token">
          {[...rights].sort().map((r) => (
            <li key={r}>
              <label className="check">
                <input type="checkbox" checked={form.rights.includes(r)} onChange={(e) => set({ rights: e.target.checked ? [...form.rights, r] : form.rights.filter((x) => x !== r) })} />{r}
              </label>
            </li>
          ))}
        </ul>
      )}
      <Field
        label="Allowed networks"
        hint={policy?.requireAllowedNetworks ? 'Required by your organization: the networks (CIDR) the token is used from, e.g. 203.0.113.0/24.' : 'Optional: only from these networks (CIDR, comma-separated), e.g. 203.0.113.0/24. Empty: from anywhere.'}
      >
        {(id) => <input id={id} value={form.networks} onChange={(e) => set({ networks: e.target.value })} required={policy?.requireAllowedNetworks === true} />}
      </Field>
    </fieldset>
  );
}
