import { useState, type FormEvent } from 'react';
import type { ServiceAccount } from '../../../api/cloudapi/wire.ts';
import { api, type PortalSession } from '../api.ts';
import type { Route } from '../router.ts';
import { ErrorMessage, Field, useAction } from '../components/ui.tsx';

/**
 * The device-verification page (RFC 8628 §3.3, the `verification_uri`): an administrator enters
 * the user code a service account's device shows, sees which account asks (`deviceLookup`), and
 * approves or denies it (`deviceLookup/grant|deny`). Showing the account first is the defence
 * RFC 8628 §5.4 asks for against a code relayed by someone else.
 */
export function DeviceScreen({ route }: { session: PortalSession; route: Route }) {
  const [code, setCode] = useState(route.query.get('user_code') ?? '');
  const [asking, setAsking] = useState<ServiceAccount | null>(null);
  const [done, setDone] = useState<{ account: ServiceAccount; granted: boolean } | null>(null);
  const action = useAction();
  const lookUp = async (e: FormEvent) => {
    e.preventDefault();
    // 303 to the account; fetch follows it on this origin with the same session.
    await action.run(async () => setAsking(await api<ServiceAccount>('POST', '/cloudapi/1.0.0/deviceLookup', { body: { userCode: code.trim() } })));
  };
  const decide = (granted: boolean) => action.run(async () => {
    const account = await api<ServiceAccount>('POST', `/cloudapi/1.0.0/deviceLookup/${granted ? 'grant' : 'deny'}`, { body: { userCode: code.trim() } });
    setDone({ account, granted });
  });
  if (done) {
    return (
      <section className="card" aria-labelledby="device-title">
        <h1 id="device-title">{done.granted ? 'Device approved' : 'Device denied'}</h1>
        <p role="status">
          {done.granted
            ? <>Service account <strong>{done.account.name}</strong> ({done.account.role.name}, {done.account.org.name}) may now sign in.</>
            : <>Service account <strong>{done.account.name}</strong> was not approved.</>}
        </p>
        <p><a href="#/admin/serviceAccounts">Back to service accounts</a></p>
      </section>
    );
  }
  if (asking) {
    return (
      <section className="card" aria-labelledby="device-title">
        <h1 id="device-title">Approve a device</h1>
        <p>
          Code <code>{code.trim().toUpperCase()}</code> asks to sign in as service account <strong>{asking.name}</strong> with
          role <strong>{asking.role.name}</strong> in <strong>{asking.org.name}</strong>. Approve it only if you started this yourself.
        </p>
        <ErrorMessage error={action.error} />
        <div className="actions">
          <button type="button" onClick={() => { void decide(false); }} disabled={action.busy}>Deny</button>
          <button type="button" className="primary" onClick={() => { void decide(true); }} disabled={action.busy}>Approve</button>
        </div>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="device-title">
      <h1 id="device-title">Approve a device</h1>
      <p>Enter the code that the service account's device shows.</p>
      <form onSubmit={lookUp}>
        <Field label="User code">
          {(id) => <input id={id} value={code} onChange={(e) => setCode(e.target.value)} required autoFocus autoComplete="off" placeholder="XXXX-XXXX" />}
        </Field>
        <ErrorMessage error={action.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={action.busy}>Continue</button>
        </div>
      </form>
    </section>
  );
}
