import { useState, type FormEvent } from 'react';
import { ApiError, UNREACHABLE_MESSAGE, isProviderOrg, login } from '../api.ts';
import { Field } from '../components/ui.tsx';

/**
 * Plain words for each failure. The server answers a wrong password and a disabled account the
 * same way on purpose (STYLE §5), so the first message names both.
 */
function loginMessage(e: unknown, step: 'password' | 'code'): string {
  if (!(e instanceof ApiError)) return UNREACHABLE_MESSAGE;
  switch (e.code) {
    case 'ACCOUNT_LOCKED':
      return 'This account is locked for a while after too many wrong codes. Try again later, or ask your administrator to unlock it.';
    case 'SECOND_FACTOR_CODE_USED':
      // Issue 19: typically the code that just confirmed the enrolment. Not counted as a failure.
      return 'This code was already used — wait for the next one (your authenticator app shows a new code every 30 seconds), then enter it.';
    case 'TOO_MANY_REQUESTS':
      return 'Too many attempts. Wait a minute, then try again.';
    case 'UNAUTHORIZED':
      return step === 'code'
        ? 'Wrong verification code. Enter the current 6-digit code from your authenticator app.'
        : 'Wrong organization, user name or password, or the account is disabled.';
    default:
      return e.message;
  }
}

/** `/tenant/<org>` and `/provider` (VCD's portal URLs) choose the org for the login form. */
export function orgFromLocation(pathname: string): string {
  const tenant = /^\/tenant\/([^/]+)/.exec(pathname);
  if (tenant?.[1]) return decodeURIComponent(tenant[1]);
  return pathname.startsWith('/provider') ? 'System' : '';
}

/** The line under the title: which portal the organization typed so far leads to. */
export function portalKind(org: string): string {
  if (org.trim() === '') return 'Log in to your organization';
  return isProviderOrg(org) ? 'Provider portal' : `Tenant portal · ${org.trim()}`;
}

/**
 * `lastOrg`: the org of the session that just ended (logout, expiry), so that logging in again
 * needs no retyping wherever the portal was opened from.
 */
export function LoginScreen({ onLoggedIn, notice, lastOrg }: { onLoggedIn: () => Promise<void>; notice: string | null; lastOrg?: string | null }) {
  const [org, setOrg] = useState(() => orgFromLocation(window.location.pathname) || (lastOrg ?? ''));
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<'password' | 'code'>('password');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(org, user, password, step === 'code' ? code : undefined);
      setPassword('');
      setCode('');
      await onLoggedIn();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'SECOND_FACTOR_REQUIRED') {
        setStep('code');
      } else {
        setError(loginMessage(err, step));
        if (step === 'code') setCode('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title" className="card">
        <h1 id="login-title">OpenDirector</h1>
        <p className="muted">{portalKind(org)}</p>
        {notice && <p className="notice" role="status">{notice}</p>}
        {step === 'password' ? (
          <>
            <Field label="Organization" hint="Use System for the provider portal.">
              {(id) => <input id={id} name="org" value={org} onChange={(e) => setOrg(e.target.value)} required autoComplete="organization" autoFocus={org === ''} />}
            </Field>
            <Field label="User name">
              {(id) => <input id={id} name="username" value={user} onChange={(e) => setUser(e.target.value)} required autoComplete="username" autoFocus={org !== ''} />}
            </Field>
            <Field label="Password">
              {(id) => <input id={id} name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />}
            </Field>
          </>
        ) : (
          <>
            <h2>Second factor</h2>
            <p>Enter the 6-digit code your authenticator app shows for <strong>{user}@{org}</strong>.</p>
            <Field label="Verification code">
              {(id) => (
                <input
                  id={id} name="otp" value={code} onChange={(e) => setCode(e.target.value)} required autoFocus
                  inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autoComplete="one-time-code"
                />
              )}
            </Field>
          </>
        )}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="actions">
          {step === 'code' && (
            <button type="button" onClick={() => { setStep('password'); setCode(''); setPassword(''); setError(null); }}>Back</button>
          )}
          <button type="submit" className="primary" disabled={busy}>{step === 'code' ? 'Verify' : 'Log in'}</button>
        </div>
      </form>
    </main>
  );
}
