import { useEffect, type ReactNode } from 'react';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { isProviderOrg, type PortalSession } from './api.ts';
import { href, navigate, useRoute, type Route } from './router.ts';
import { KebabMenu } from './components/ui.tsx';
import { PreferencesScreen } from './screens/PreferencesScreen.tsx';
import { UsersScreen } from './screens/UsersScreen.tsx';
import { UserDetailScreen } from './screens/UserDetailScreen.tsx';
import { RolesScreen } from './screens/RolesScreen.tsx';
import { AuditScreen } from './screens/AuditScreen.tsx';
import { VmsScreen } from './screens/VmsScreen.tsx';
import { OrgsScreen } from './screens/OrgsScreen.tsx';
import { ServiceAccountsScreen } from './screens/ServiceAccountsScreen.tsx';
import { DeviceScreen } from './screens/DeviceScreen.tsx';
import { RightsContainerList, RightsContainerDetail, BUNDLES, GLOBAL_ROLES } from './screens/RightsContainerScreens.tsx';
import { ApiTokenInventoryScreen } from './screens/ApiTokenInventoryScreen.tsx';
import { TokenPolicyScreen } from './screens/TokenPolicyScreen.tsx';

interface NavItem {
  label: string;
  segments: string[];
  visible: boolean;
}

function navSections(session: PortalSession): { title: string; items: NavItem[] }[] {
  const can = (right: string) => session.rights.includes(right);
  const provider = isProviderOrg(session.org.name);
  return [
    { title: 'Compute', items: [{ label: 'Virtual machines', segments: ['vms'], visible: can(RIGHTS.vappView) }] },
    {
      title: 'Administration',
      items: [
        { label: 'Users', segments: ['admin', 'users'], visible: can(RIGHTS.userView) },
        { label: 'Roles', segments: ['admin', 'roles'], visible: can(RIGHTS.roleView) },
        { label: 'Service accounts', segments: ['admin', 'serviceAccounts'], visible: can(RIGHTS.serviceAccountsView) || can(RIGHTS.serviceAccountsManage) || can(RIGHTS.serviceAccountsViewLimited) },
        { label: 'API tokens', segments: ['admin', 'apiTokens'], visible: can(RIGHTS.apiTokensManageAll) },
        { label: 'Audit log', segments: ['admin', 'audit'], visible: can(RIGHTS.auditView) },
      ],
    },
    {
      title: 'Provider',
      items: [
        { label: 'Organizations', segments: ['provider', 'orgs'], visible: provider && can(RIGHTS.orgView) },
        { label: 'Rights bundles', segments: ['provider', 'rightsBundles'], visible: provider && can(RIGHTS.rightsBundleView) },
        { label: 'Global roles', segments: ['provider', 'globalRoles'], visible: provider && can(RIGHTS.globalRoleView) },
        { label: 'API token policy', segments: ['provider', 'tokenPolicy'], visible: provider && can(RIGHTS.apiTokensManageAll) },
      ],
    },
  ];
}

function screenFor(route: Route, session: PortalSession): ReactNode {
  const [a, b, c] = route.segments;
  const props = { session, route };
  if (a === 'preferences') return <PreferencesScreen session={session} />;
  if (a === 'vms') return <VmsScreen {...props} />;
  if (a === 'admin' && b === 'users') return c ? <UserDetailScreen {...props} userId={c} /> : <UsersScreen {...props} />;
  if (a === 'admin' && b === 'roles') return <RolesScreen {...props} roleId={c ?? null} />;
  if (a === 'admin' && b === 'audit') return <AuditScreen {...props} />;
  if (a === 'admin' && b === 'serviceAccounts') return <ServiceAccountsScreen {...props} />;
  if (a === 'device') return <DeviceScreen {...props} />;
  if (a === 'admin' && b === 'apiTokens') return <ApiTokenInventoryScreen {...props} />;
  if (a === 'provider' && b === 'tokenPolicy') return <TokenPolicyScreen {...props} />;
  if (a === 'provider' && b === 'orgs') return <OrgsScreen session={session} />;
  if (a === 'provider' && (b === 'rightsBundles' || b === 'globalRoles')) {
    const kind = b === 'rightsBundles' ? BUNDLES : GLOBAL_ROLES;
    return c ? <RightsContainerDetail kind={kind} id={c} session={session} /> : <RightsContainerList kind={kind} session={session} />;
  }
  return <p>Page not found. <a href="#/preferences">Go to User preferences</a>.</p>;
}

/** The logged-in portal: header with the org and user menu, navigation by rights, the screen. */
export function Shell({ session, onLogout }: { session: PortalSession; onLogout: () => void }) {
  const route = useRoute();
  const sections = navSections(session);
  const current = route.segments.slice(0, 2).join('/');
  useEffect(() => {
    if (route.segments.length > 0) return;
    // Arrived at a verification_uri (`/tenant/<org>/device`, `/provider/device`, RFC 8628 §3.3).
    if (/\/device\/?$/.test(window.location.pathname)) {
      navigate(href(['device'], { user_code: new URLSearchParams(window.location.search).get('user_code') }));
      return;
    }
    const first = sections.flatMap((s) => s.items).find((i) => i.visible);
    navigate(href(first ? first.segments : ['preferences']));
  }, [route.segments.length]);
  const provider = isProviderOrg(session.org.name);
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="#/">OpenDirector</a>
        <span className="portal-kind">{provider ? 'Provider portal' : `Tenant portal · ${session.org.name}`}</span>
        <nav aria-label="Main">
          {sections.filter((s) => s.items.some((i) => i.visible)).map((s) => (
            <span key={s.title} className="nav-group" role="group" aria-label={s.title}>
              {s.items.filter((i) => i.visible).map((i) => (
                <a key={i.label} href={href(i.segments)} aria-current={current === i.segments.join('/') ? 'page' : undefined}>{i.label}</a>
              ))}
            </span>
          ))}
        </nav>
        <KebabMenu
          label={`User menu for ${session.user.name}`} buttonText={`${session.user.name} ▾`}
          items={[
            { label: 'User preferences', onSelect: () => navigate(href(['preferences'])) },
            { label: 'Log out', onSelect: onLogout },
          ]}
        />
      </header>
      {session.apiTokenSession && <p className="notice">This session was created from an API token: some actions are not available.</p>}
      <main className="content">{screenFor(route, session)}</main>
    </div>
  );
}
