import { useState, type FormEvent } from 'react';
import { ApiError, api } from '../api.ts';
import { ErrorMessage, Field, useAction } from './ui.tsx';

interface TotpStart {
  secret: string;
  otpauthUri: string;
  qrCodeDataUrl: string;
}

/** Groups a base32 secret in fours so a person can type it. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

/**
 * TOTP enrolment: start (the server creates a pending secret), show it as a QR code and as a
 * manual key, confirm with a current code (`/cloudapi/1.0.0/mfa/totp`, `/mfa/totp/confirm`).
 */
export function TotpEnrolment({ onEnrolled }: { onEnrolled: () => void }) {
  const [start, setStart] = useState<TotpStart | null>(null);
  const [code, setCode] = useState('');
  const action = useAction();

  const begin = () => action.run(async () => setStart(await api<TotpStart>('POST', '/cloudapi/1.0.0/mfa/totp', { body: {} })));
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      try {
        await api('POST', '/cloudapi/1.0.0/mfa/totp/confirm', { body: { code: code.trim() } });
      } catch (err) {
        if (err instanceof ApiError && err.status === 400) throw new Error('That code is not right. Enter the current code from your app.');
        throw err;
      }
    });
    setCode('');
    if (ok) onEnrolled();
  };

  if (!start) {
    return (
      <div>
        <p>Use an authenticator app (such as FreeOTP, Google Authenticator or 1Password) to add a second factor to your password.</p>
        <ErrorMessage error={action.error} />
        <button type="button" className="primary" onClick={begin} disabled={action.busy}>Set up authenticator app</button>
      </div>
    );
  }
  return (
    <form onSubmit={confirm} className="totp-enrol">
      <ol>
        <li>Scan this QR code with your authenticator app:
          <img src={start.qrCodeDataUrl} alt="QR code to add this account to an authenticator app" width={200} height={200} />
        </li>
        <li>Or type this key by hand: <code className="secret" aria-label="Manual entry key">{grouped(start.secret)}</code></li>
        <li>Enter the 6-digit code the app shows to confirm.</li>
      </ol>
      <Field label="Code from the app">
        {(id) => (
          <input id={id} value={code} onChange={(e) => setCode(e.target.value)} required inputMode="numeric"
            pattern="[0-9]{6}" maxLength={6} autoComplete="one-time-code" />
        )}
      </Field>
      <ErrorMessage error={action.error} />
      <button type="submit" className="primary" disabled={action.busy}>Confirm</button>
    </form>
  );
}
