import { useRef, useState, type FormEvent } from 'react';
import type { Token } from '../../../api/cloudapi/wire.ts';
import { createApiToken, fiqlValue, listAll, revokeApiToken, type PortalSession } from '../api.ts';
import { useLeaveGuard } from '../router.ts';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Field, KebabMenu, Loading, formatTime, useAction, useLoad } from '../components/ui.tsx';

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
        Tokens do not expire: revoke the ones you no longer need.
      </p>
      <ErrorMessage error={tokens.error} />
      {tokens.loading && !tokens.data ? <Loading /> : tokens.data?.length === 0 ? (
        <EmptyState>You have no API tokens. Choose New to create one.</EmptyState>
      ) : (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {tokens.data?.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{formatTime(t.createdAt)}</td>
                <td>{formatTime(t.lastUsedAt)}</td>
                <td className="row-actions"><KebabMenu label={`Actions for token ${t.name}`} items={[{ label: 'Revoke', onSelect: () => { revoked.current = false; setRevoking(t); } }]} /></td>
              </tr>
            ))}
          </tbody>
        </table>
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
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const action = useAction();
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
    await action.run(async () => setSecret((await createApiToken(session, name.trim())).token));
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
