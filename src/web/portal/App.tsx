import { useCallback, useEffect, useRef, useState } from 'react';
import { currentSession, logout, resumeSession, setSessionLostHandler, type PortalSession } from './api.ts';
import { LoginScreen } from './screens/LoginScreen.tsx';
import { Shell } from './Shell.tsx';
import { TotpEnrolment } from './components/TotpEnrolment.tsx';
import { Loading } from './components/ui.tsx';

/** Top level: resume the cookie session or log in; enrol TOTP first when the org demands it. */
export function App() {
  const [session, setSession] = useState<PortalSession | null>(null);
  const [phase, setPhase] = useState<'loading' | 'login' | 'ready'>('loading');
  const [notice, setNotice] = useState<string | null>(null);
  /** The org of the last session, offered again on the login form after it ends. */
  const [lastOrg, setLastOrg] = useState<string | null>(null);
  const sessionOrg = useRef<string | null>(null);
  sessionOrg.current = session?.org.name ?? sessionOrg.current;

  const loadSession = useCallback(async () => {
    setSession(await currentSession());
    setNotice(null);
    setPhase('ready');
  }, []);

  useEffect(() => {
    setSessionLostHandler(() => {
      setLastOrg(sessionOrg.current);
      setSession(null);
      setNotice('Your session has ended. Log in again.');
      setPhase('login');
    });
    resumeSession()
      .then(async (resumed) => (resumed ? loadSession() : setPhase('login')))
      .catch(() => setPhase('login'));
  }, [loadSession]);

  const endSession = useCallback(async (message: string) => {
    await logout();
    setLastOrg(sessionOrg.current);
    setSession(null);
    setNotice(message);
    setPhase('login');
    history.replaceState(null, '', window.location.pathname);
  }, []);

  if (phase === 'loading') return <main className="login"><Loading /></main>;
  if (phase === 'login' || !session) return <LoginScreen onLoggedIn={loadSession} notice={notice} lastOrg={lastOrg} />;
  if (session.enrolmentRequired) {
    return (
      <main className="login">
        <section className="card" aria-labelledby="enrol-title">
          <h1 id="enrol-title">Set up a second factor</h1>
          <p>Your organization <strong>{session.org.name}</strong> requires a second factor. Set it up to continue.</p>
          <TotpEnrolment
            onEnrolled={async () => {
              const next = await currentSession();
              if (next.enrolmentRequired) await endSession('Second factor set up. Log in again with a code from your app.');
              else setSession(next);
            }}
          />
          <div className="actions">
            <button type="button" onClick={() => endSession('You have logged out.')}>Log out</button>
          </div>
        </section>
      </main>
    );
  }
  return <Shell session={session} onLogout={() => endSession('You have logged out.')} />;
}
