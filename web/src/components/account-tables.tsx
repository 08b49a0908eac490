import type { ReactNode } from 'react';
import type { ApiToken, SessionView } from '../types.ts';
import { formatTime } from './ui.tsx';

/** Sessions as Settings → Security and the user page both list them; `actions` fills the last column when given. */
export function SessionTable(props: { label: string; sessions: SessionView[]; createdHeading?: string; actions?: (session: SessionView) => ReactNode }) {
  const { label, sessions, actions, createdHeading = 'Created' } = props;
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">IP</th>
            <th scope="col">{createdHeading}</th>
            <th scope="col">Last seen</th>
            {actions && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {sessions.map((session) => (
            <tr key={session.id}>
              <td>
                <span title={session.userAgent ?? undefined}>{session.device ?? session.userAgent ?? '—'}</span>{' '}
                {session.current && <span className="badge badge-active">this session</span>}
              </td>
              <td>{session.ip ?? '—'}</td>
              <td>{formatTime(session.createdAt)}</td>
              <td>{formatTime(session.lastSeenAt)}</td>
              {actions && <td>{actions(session)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** API tokens: never their secret, only the prefix that tells them apart. */
export function TokenTable(props: { label: string; tokens: ApiToken[]; actions?: (token: ApiToken) => ReactNode }) {
  const { label, tokens, actions } = props;
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            {actions && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id}>
              <td>{token.name}</td>
              <td>
                <code>{token.prefix}…</code>
              </td>
              <td>{formatTime(token.createdAt)}</td>
              <td>{token.expiresAt ? formatTime(token.expiresAt) : 'never'}</td>
              <td>{formatTime(token.lastUsedAt)}</td>
              {actions && <td className="row-actions">{actions(token)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
