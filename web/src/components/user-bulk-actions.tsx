import { useId, useState } from 'react';
import { ApiError, del, describeError, post, put } from '../api.ts';
import type { Role, UserListItem } from '../types.ts';
import { ConfirmButton } from './ui.tsx';

type Target = Pick<UserListItem, 'id' | 'email' | 'displayName'>;

/** What one user's call answered: done, or refused with the server's message and code. */
export interface BulkOutcome {
  user: Target;
  done: boolean;
  message?: string;
  code?: string;
}

/** A finished bulk action: its name and every user's outcome, in the order they were run. */
export interface BulkReport {
  action: string;
  outcomes: BulkOutcome[];
}

export const countUsers = (count: number) => `${count} user${count === 1 ? '' : 's'}`;

/**
 * One call per user, one after another, through the same endpoint the user page uses (so every
 * guard — last Admin, more privileged elsewhere, self-change — answers each of them). A refusal
 * is kept with the server's message and doesn't stop the rest.
 */
async function runEach(users: Target[], call: (user: Target) => Promise<unknown>, onProgress: (finished: number) => void): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = [];
  for (const user of users) {
    try {
      await call(user);
      outcomes.push({ user, done: true });
    } catch (error) {
      outcomes.push({ user, done: false, message: describeError(error), code: error instanceof ApiError ? error.code : undefined });
    }
    onProgress(outcomes.length);
  }
  return outcomes;
}

const userPath = (user: Target) => `/api/v1/users/${encodeURIComponent(user.id)}`;

/**
 * Suspend, Re-activate, Set role and Delete for the selected users: each asks first in a dialog
 * that names the count, then runs the per-user calls and hands the report to `onFinished`.
 */
export function UserBulkActions({
  selected,
  roles,
  canManageUsers,
  canAssignRoles,
  onFinished,
}: {
  selected: Target[];
  roles: Role[] | undefined;
  canManageUsers: boolean;
  canAssignRoles: boolean;
  onFinished: (report: BulkReport) => void;
}) {
  const [role, setRole] = useState('');
  const [finished, setFinished] = useState<number>();
  const roleSelectId = useId();
  const count = selected.length;
  const none = count === 0;
  const users = countUsers(count);

  const run = (action: string, call: (user: Target) => Promise<unknown>) => async () => {
    setFinished(0);
    try {
      onFinished({ action, outcomes: await runEach(selected, call, setFinished) });
    } finally {
      setFinished(undefined);
    }
  };

  /** Who the dialog is about, and how far the run is once it started. */
  const details = (
    <>
      <SelectedNames users={selected} />
      {finished !== undefined && (
        <p role="status">
          {finished} of {count} done…
        </p>
      )}
    </>
  );

  return (
    <div className="actions bulk-actions" role="group" aria-label="Bulk actions">
      <span className="muted" aria-live="polite">
        {count} selected
      </span>
      {canManageUsers && (
        <>
          <ConfirmButton label="Suspend" title={`Suspend ${users}?`} confirmLabel={`Suspend ${users}`} disabled={none} onConfirm={run('Suspend', (user) => post(`${userPath(user)}/suspend`))}>
            <p>They stay, but their sessions and API tokens stop working at once, until they are re-activated.</p>
            {details}
          </ConfirmButton>
          <ConfirmButton
            label="Re-activate"
            title={`Re-activate ${users}?`}
            confirmLabel={`Re-activate ${users}`}
            disabled={none}
            onConfirm={run('Re-activate', (user) => post(`${userPath(user)}/reactivate`))}
          >
            <p>They can sign in again; sessions and tokens ended by the suspension stay ended.</p>
            {details}
          </ConfirmButton>
        </>
      )}
      {canAssignRoles && (
        <span className="inline role-choice">
          <label htmlFor={roleSelectId} className="visually-hidden">
            Role for the selected users
          </label>
          <select id={roleSelectId} value={role} onChange={(e) => setRole(e.target.value)} disabled={!roles}>
            <option value="">Choose a role…</option>
            {roles?.map((item) => (
              <option key={item.id} value={item.name}>
                {item.name}
              </option>
            ))}
          </select>
          <ConfirmButton
            label="Set role"
            title={`Set the role of ${users} to ${role}?`}
            confirmLabel={`Set role of ${users}`}
            disabled={none || !role}
            onConfirm={run(`Set role ${role}`, (user) => put(`${userPath(user)}/role`, { role }))}
          >
            <p>Their role in this tenant becomes {role}, with its permissions; their roles in other tenants don't change.</p>
            {details}
          </ConfirmButton>
        </span>
      )}
      {canManageUsers && (
        <ConfirmButton
          label="Delete"
          title={`Delete ${users} permanently?`}
          confirmLabel={`Delete ${users}`}
          danger
          disabled={none}
          onConfirm={run('Delete', (user) => del(userPath(user)))}
        >
          <p>The user records are removed and can't be recovered. Their agents, workflows, memory and documents stay, without an owner, until an admin reassigns or purges them.</p>
          {details}
        </ConfirmButton>
      )}
    </div>
  );
}

const NAMES_SHOWN = 8;

function SelectedNames({ users }: { users: Target[] }) {
  return (
    <ul className="selected-names" aria-label="Selected users">
      {users.slice(0, NAMES_SHOWN).map((user) => (
        <li key={user.id}>{user.email}</li>
      ))}
      {users.length > NAMES_SHOWN && <li className="muted">and {users.length - NAMES_SHOWN} more</li>}
    </ul>
  );
}

/** Every user's outcome of the last bulk action: a refusal shows the server's message and code, never hidden. */
export function BulkReportView({ report, onDismiss }: { report: BulkReport; onDismiss: () => void }) {
  const headingId = useId();
  const refused = report.outcomes.filter((outcome) => !outcome.done).length;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {report.action}: {report.outcomes.length - refused} done, {refused} refused
      </h2>
      <ul className="bulk-results" aria-label="Result per user">
        {report.outcomes.map((outcome) => (
          <li key={outcome.user.id}>
            <span className={`badge badge-${outcome.done ? 'success' : 'failure'}`}>{outcome.done ? 'done' : 'refused'}</span> {outcome.user.email}
            {!outcome.done && (
              <>
                : {outcome.message}
                {outcome.code && (
                  <>
                    {' '}
                    <code>{outcome.code}</code>
                  </>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    </section>
  );
}
