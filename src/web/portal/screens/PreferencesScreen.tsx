import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, type PortalSession } from '../api.ts';
import { TotpEnrolment } from '../components/TotpEnrolment.tsx';
import { ErrorMessage, Loading, useLoad } from '../components/ui.tsx';
import { ApiTokensSection } from './ApiTokensSection.tsx';

/** `GET /cloudapi/1.0.0/mfa/totp` (OpenDirector's second-factor extension, issue 2). */
interface TotpStatus {
  enrolled: boolean;
  pending: boolean;
  required: boolean;
}

/**
 * User preferences: profile, second factor, and the API Tokens section, which exists only for
 * holders of "Manage user's own API token" (seeds 000 and 002: "if you don't see this section it
 * means you don't have the right").
 */
export function PreferencesScreen({ session }: { session: PortalSession }) {
  const totp = useLoad(() => api<TotpStatus>('GET', '/cloudapi/1.0.0/mfa/totp'), []);
  const canManageTokens = session.rights.includes(RIGHTS.apiTokensManage) && !session.apiTokenSession;
  return (
    <>
      <h1>User preferences</h1>
      <section aria-labelledby="profile-title" className="panel">
        <h2 id="profile-title">Profile</h2>
        <dl className="facts">
          <dt>User name</dt><dd>{session.user.name}</dd>
          <dt>Organization</dt><dd>{session.org.name}</dd>
          <dt>Roles</dt><dd>{session.roles.length > 0 ? session.roles.join(', ') : 'None'}</dd>
        </dl>
      </section>
      <section aria-labelledby="mfa-title" className="panel">
        <h2 id="mfa-title">Second factor</h2>
        <ErrorMessage error={totp.error} />
        {totp.loading && !totp.data ? <Loading /> : totp.data?.enrolled ? (
          <p>An authenticator app is set up for your account. Log-ins ask for its code.</p>
        ) : totp.data ? (
          <TotpEnrolment onEnrolled={totp.reload} />
        ) : null}
      </section>
      {canManageTokens && <ApiTokensSection session={session} />}
    </>
  );
}
