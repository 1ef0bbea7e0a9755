import { useState, type FormEvent } from 'react';
import type { AuditEvent, PagedEnvelope } from '../../../api/cloudapi/wire.ts';
import { AUDIT_EVENTS } from '../../../audit/events.ts';
import { api, fiqlValue, uuidOf, type PortalSession } from '../api.ts';
import type { Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { EmptyState, ErrorMessage, Field, Loading, Pager, formatTime, useLoad } from '../components/ui.tsx';

const PAGE_SIZE = 25;
const EVENT_TYPES = [...new Set(Object.values(AUDIT_EVENTS))].sort();

interface Filters {
  user: string;
  eventType: string;
  from: string;
  to: string;
  tokenId: string;
}

const NO_FILTERS: Filters = { user: '', eventType: '', from: '', to: '', tokenId: '' };

/** FIQL for the audit trail (spec §6.2, §10.1); `tokenId` is OpenDirector's extra selector. */
export function auditFilter(f: Filters): string {
  const parts: string[] = [];
  if (f.user.trim()) parts.push(`user.name==${fiqlValue(f.user.trim())}`);
  if (f.eventType) parts.push(`eventType==${fiqlValue(f.eventType)}`);
  if (f.from) parts.push(`timestamp=ge=${new Date(f.from).toISOString()}`);
  if (f.to) parts.push(`timestamp=le=${new Date(f.to).toISOString()}`);
  if (f.tokenId.trim()) parts.push(`tokenId==${fiqlValue(uuidOf(f.tokenId.trim()))}`);
  return parts.join(';');
}

/** Administration › Audit log: who did what, filterable by user, event type, time and API token. */
export function AuditScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, scopeLabel, picker } = useOperatingOrg(session, route, { spansOrgs: true });
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [page, setPage] = useState(1);
  const events = useLoad(() => {
    const q = new URLSearchParams({ sortDesc: 'timestamp', page: String(page), pageSize: String(PAGE_SIZE) });
    const filter = auditFilter(applied);
    if (filter) q.set('filter', filter);
    return api<PagedEnvelope<AuditEvent>>('GET', `/cloudapi/1.0.0/auditTrail/?${q.toString()}`, { tenant });
  }, [applied, page, tenant]);
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setPage(1);
    setApplied(draft);
  };
  const env = events.data;
  return (
    <>
      <div className="page-head">
        <h1>Audit log{scopeLabel ? <span className="muted"> · {scopeLabel}</span> : null}</h1>
        {picker}
      </div>
      <form className="filters" onSubmit={apply} aria-label="Audit log filters">
        <Field label="User">{(id) => <input id={id} value={draft.user} onChange={set('user')} />}</Field>
        <Field label="Event type">
          {(id) => (
            <select id={id} value={draft.eventType} onChange={set('eventType')}>
              <option value="">Any</option>
              {EVENT_TYPES.map((t) => <option key={t} value={t}>{t.replace('com/vmware/cloud/event/', '')}</option>)}
            </select>
          )}
        </Field>
        <Field label="From">{(id) => <input id={id} type="datetime-local" value={draft.from} onChange={set('from')} />}</Field>
        <Field label="To">{(id) => <input id={id} type="datetime-local" value={draft.to} onChange={set('to')} />}</Field>
        <Field label="API token id">{(id) => <input id={id} value={draft.tokenId} onChange={set('tokenId')} placeholder="UUID or urn:vcloud:token:…" />}</Field>
        <div className="actions left">
          <button type="submit" className="primary">Apply filters</button>
          <button type="button" onClick={() => { setDraft(NO_FILTERS); setApplied(NO_FILTERS); setPage(1); }}>Clear</button>
        </div>
      </form>
      <ErrorMessage error={events.error} />
      {events.loading && !env ? <Loading /> : env?.values.length === 0 ? <EmptyState>No events match these filters.</EmptyState> : env ? (
        <>
          <div className="table-wrap">
          <table className="audit">
            <thead>
              <tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">Organization</th><th scope="col">Target</th><th scope="col">Status</th><th scope="col">API token</th><th scope="col">Description</th></tr>
            </thead>
            <tbody>
              {env.values.map((e) => (
                <tr key={e.eventId}>
                  <td>{formatTime(e.timestamp)}</td>
                  <td><code>{e.eventType.replace('com/vmware/cloud/event/', '')}</code></td>
                  <td>{e.user?.name ?? '—'}</td>
                  <td>{e.operatingOrg?.name ?? '—'}</td>
                  <td>{e.eventEntity?.name || '—'}</td>
                  <td><span className={`badge ${e.eventStatus === 'SUCCESS' ? 'enabled' : 'disabled'}`}>{e.eventStatus}</span></td>
                  <td>{e.additionalProperties['currentContext.refreshTokenId'] ? <code>{e.additionalProperties['currentContext.refreshTokenId']}</code> : '—'}</td>
                  <td>{e.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          <Pager label="Audit log pages" page={page} envelope={env} noun={['event', 'events']} onPage={setPage} />
        </>
      ) : null}
    </>
  );
}
