import { useEffect, useState, type FormEvent } from 'react';
import type { ApiTokenPolicy } from '../../../api/cloudapi/wire.ts';
import { getTokenPolicy, putTokenPolicy, uuidOf, type PortalSession } from '../api.ts';
import type { Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';

type NumberField = 'maxLifetimeDays' | 'defaultLifetimeDays' | 'idleExpiryDays' | 'maxTokensPerUser';
const NUMBER_FIELDS: { key: NumberField; label: string; hint: string }[] = [
  { key: 'maxLifetimeDays', label: 'Maximum lifetime (days)', hint: 'Longer tokens are refused; existing tokens beyond it expire at creation + maximum. Empty: no limit.' },
  { key: 'defaultLifetimeDays', label: 'Default lifetime (days)', hint: 'For tokens created without an expiry. Empty: they never expire (unless a maximum is set).' },
  { key: 'idleExpiryDays', label: 'Idle expiry (days)', hint: 'Tokens unused this long stop working. Empty: never.' },
  { key: 'maxTokensPerUser', label: 'Tokens per user', hint: 'At most this many live tokens per user. Empty: no limit.' },
];

/**
 * Provider › API token policy (issue 17): one org's policy at a time (the System org's covers the
 * provider's own users), picked like every other administration screen.
 */
export function TokenPolicyScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, orgName, picker } = useOperatingOrg(session, route);
  const orgUuid = tenant ?? uuidOf(session.org.id);
  const loaded = useLoad(() => getTokenPolicy(orgUuid), [orgUuid]);
  const [form, setForm] = useState<Record<NumberField, string> & { enabled: boolean; requireAllowedNetworks: boolean } | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    const p = loaded.data;
    if (!p) return;
    const text = (n: number | null) => (n === null ? '' : String(n));
    setForm({
      enabled: p.enabled, requireAllowedNetworks: p.requireAllowedNetworks, maxLifetimeDays: text(p.maxLifetimeDays),
      defaultLifetimeDays: text(p.defaultLifetimeDays), idleExpiryDays: text(p.idleExpiryDays), maxTokensPerUser: text(p.maxTokensPerUser),
    });
    setSaved(false);
  }, [loaded.data]);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    const num = (v: string) => (v.trim() === '' ? null : Number(v));
    const policy: Omit<ApiTokenPolicy, 'org'> = {
      enabled: form.enabled, requireAllowedNetworks: form.requireAllowedNetworks, maxLifetimeDays: num(form.maxLifetimeDays),
      defaultLifetimeDays: num(form.defaultLifetimeDays), idleExpiryDays: num(form.idleExpiryDays), maxTokensPerUser: num(form.maxTokensPerUser),
    };
    setSaved(false);
    if (await action.run(() => putTokenPolicy(orgUuid, policy))) setSaved(true);
  };
  return (
    <>
      <div className="page-head">
        <h1>API token policy<span className="muted"> · {orgName}</span></h1>
        {picker}
      </div>
      <ErrorMessage error={loaded.error} />
      {!form ? <Loading /> : (
        <form className="panel" onSubmit={save} aria-label={`API token policy of ${orgName}`}>
          <label className="check"><input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} />API tokens enabled</label>
          {NUMBER_FIELDS.map((f) => (
            <Field key={f.key} label={f.label} hint={f.hint}>
              {(id) => <input id={id} type="number" min={1} step={1} value={form[f.key]} onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} />}
            </Field>
          ))}
          <label className="check">
            <input type="checkbox" checked={form.requireAllowedNetworks} onChange={(e) => setForm({ ...form, requireAllowedNetworks: e.target.checked })} />
            Require allowed networks on every token (tokens without them stop working)
          </label>
          <ErrorMessage error={action.error} />
          <div className="actions">
            <span role="status" className="muted">{saved ? 'Policy saved.' : ''}</span>
            <button type="submit" className="primary" disabled={action.busy}>Save</button>
          </div>
        </form>
      )}
    </>
  );
}
