import { get } from '../../api.ts';
import { AvatarImage } from '../../components/avatar.tsx';
import { ErrorMessage, Loading, StatusBadge, useLoad } from '../../components/ui.tsx';
import { Link } from '../../router.tsx';
import { userTabs, type UserTab } from '../../routes.ts';
import { useSession } from '../../session.tsx';
import type { Activity, EffectivePermissions, UserView } from '../../types.ts';
import { LifecycleActions } from './actions.tsx';
import { ActivityTab } from './activity.tsx';
import { DetailsTab } from './details.tsx';
import { RolesTab } from './roles.tsx';
import { SecurityTab } from './security.tsx';
import { SessionsTokensTab } from './sessions-tokens.tsx';

/** The address of one tab of a user's page: Details is the page itself. */
export const userTabPath = (id: string, tab: UserTab) => {
  const suffix = userTabs.find((entry) => entry.tab === tab)!.suffix;
  return `/admin/users/${encodeURIComponent(id)}${suffix}`;
};

/**
 * Admin → Users → <user>: who they are and the account actions, then one tab per concern —
 * Details, Roles per tenant, Sessions & tokens, Activity, Security — each at its own address
 * (routes.ts), so a link can open it. The tabs are links (aria-current on the open one); the
 * page keeps its data while the tab changes.
 */
export function UserDetailPage({ id, tab }: { id: string; tab: UserTab }) {
  const { can } = useSession();
  const path = `/api/v1/users/${encodeURIComponent(id)}`;
  const user = useLoad(() => get<UserView>(path), [path]);
  const effective = useLoad(() => get<EffectivePermissions>(`${path}/effective-permissions`), [path]);
  const activity = useLoad(() => get<Activity>(`${path}/activity`), [path]);
  const reloadAll = () => {
    user.reload();
    effective.reload();
    activity.reload();
  };

  if (user.error) return <ErrorMessage error={user.error} />;
  if (!user.data) return <Loading />;
  const subject = user.data;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/admin/users">Users</Link> / {subject.email}
      </p>
      <header className="page-header user-header">
        <AvatarImage src={`${path}/avatar`} name={subject.displayName || subject.email} updatedAt={activity.data?.avatarUpdatedAt} />
        <div>
          <h1>{subject.displayName || subject.email}</h1>
          <p className="muted">
            {subject.email} · home tenant {subject.homeTenant ?? '—'} · <StatusBadge status={subject.status} />
            {subject.mustChangePassword && <span className="badge">must change password</span>}
          </p>
        </div>
      </header>

      {can('ManageUsers') && <LifecycleActions user={subject} path={path} onChange={reloadAll} />}

      <nav className="tabs" aria-label="User sections">
        {userTabs.map((entry) => (
          <Link key={entry.tab} to={userTabPath(id, entry.tab)} className={entry.tab === tab ? 'tab active' : 'tab'} aria-current={entry.tab === tab ? 'page' : undefined}>
            {entry.label}
          </Link>
        ))}
      </nav>

      <div className="tab-panel">
        {tab === 'details' && <DetailsTab user={subject} path={path} onChange={reloadAll} />}
        {tab === 'roles' && <RolesTab user={subject} path={path} effective={effective.data} error={effective.error} onChange={reloadAll} />}
        {tab === 'sessions' && <SessionsTokensTab activity={activity.data} error={activity.error} userId={subject.id} onChange={activity.reload} />}
        {tab === 'activity' && <ActivityTab activity={activity.data} error={activity.error} userId={subject.id} onChange={activity.reload} />}
        {tab === 'security' && <SecurityTab user={subject} path={path} activity={activity.data} error={activity.error} />}
      </div>
    </>
  );
}
