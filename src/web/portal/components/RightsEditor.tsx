import { useEffect, useMemo, useState } from 'react';
import type { EntityRef } from '../../../api/cloudapi/wire.ts';
import { api, listAll } from '../api.ts';
import { ErrorMessage, Field, Loading, useAction, useLoad } from './ui.tsx';

interface Right {
  id: string;
  name: string;
  description?: string;
}

/**
 * Checklist of rights for a role, global role or rights bundle: reads `<entity>/rights`, saves
 * with `PUT <entity>/rights {"values": [...]}` (spec §7.3, §7.4). `tenant` scopes the available
 * rights to what an org may use (spec §7.1).
 */
export function RightsEditor({ entityPath, tenant, editable, onSaved }: {
  entityPath: string; tenant: string | null; editable: boolean; onSaved?: () => void;
}) {
  const all = useLoad(() => listAll<Right>('/cloudapi/1.0.0/rights/', { sortAsc: 'name' }, tenant), [tenant]);
  const current = useLoad(() => listAll<EntityRef>(`${entityPath}/rights`, {}, tenant), [entityPath, tenant]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => setChosen(new Set(current.data?.map((r) => r.id))), [current.data]);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const rights = [...(all.data ?? [])];
    // Rights the entity holds but the org may not use (bundle limits) still show, so none is lost on save.
    for (const r of current.data ?? []) if (!rights.some((x) => x.id === r.id)) rights.push(r);
    return rights.filter((r) => !f || r.name.toLowerCase().includes(f) || (r.description ?? '').toLowerCase().includes(f))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [all.data, current.data, filter]);

  const toggle = (id: string) => {
    setSaved(false);
    setChosen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id); else n.add(id);
      return n;
    });
  };
  const save = () => action.run(async () => {
    const byId = new Map([...(all.data ?? []), ...(current.data ?? [])].map((r) => [r.id, r]));
    const values = [...chosen].flatMap((id) => {
      const r = byId.get(id);
      return r ? [{ name: r.name, id: r.id }] : [];
    });
    await api('PUT', `${entityPath}/rights`, { tenant, body: { values } });
    setSaved(true);
    current.reload();
    onSaved?.();
  });

  if ((all.loading && !all.data) || (current.loading && !current.data)) return <Loading />;
  return (
    <div className="rights-editor">
      <ErrorMessage error={all.error ?? current.error} />
      <Field label="Filter rights">{(id) => <input id={id} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />}</Field>
      <p className="muted">{chosen.size} of {all.data?.length ?? 0} rights selected.</p>
      <fieldset disabled={!editable}>
        <legend className="sr-only">Rights</legend>
        <ul className="checks rights">
          {shown.map((r) => (
            <li key={r.id}>
              <input type="checkbox" id={`right-${r.id}`} checked={chosen.has(r.id)} onChange={() => toggle(r.id)} />
              <label htmlFor={`right-${r.id}`}>{r.name}{r.description ? <small className="muted"> — {r.description}</small> : null}</label>
            </li>
          ))}
        </ul>
      </fieldset>
      <ErrorMessage error={action.error} />
      {editable && (
        <div className="actions left">
          <button type="button" className="primary" onClick={save} disabled={action.busy}>Save rights</button>
          <span role="status" className="muted">{saved ? 'Rights saved.' : ''}</span>
        </div>
      )}
    </div>
  );
}
