import { del } from '../../api.ts';
import { SessionTable, TokenTable } from '../../components/account-tables.tsx';
import { ConfirmButton, ErrorMessage, formatTime, Loading } from '../../components/ui.tsx';
import { useSession } from '../../session.tsx';
import type { Activity } from '../../types.ts';

/** The Sessions & tokens tab: their open sessions and API tokens, each revocable with ManageUsers. */
export function SessionsTokensTab({ activity, error, userId, onChange }: { activity?: Activity; error: unknown; userId: string; onChange: () => void }) {
  const { can } = useSession();
  const manage = can('ManageUsers');
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions and API tokens</h2>
      <ErrorMessage error={error} />
      {!activity ? (
        <Loading />
      ) : (
        <>
          <h3>Active sessions</h3>
          {activity.sessions.length === 0 ? (
            <p className="muted">No active sessions.</p>
          ) : (
            <SessionTable
              label="Active sessions"
              sessions={activity.sessions}
              actions={
                manage
                  ? (session) => (
                      <ConfirmButton
                        label="Revoke"
                        className="small"
                        title="Revoke this session?"
                        confirmLabel="Revoke session"
                        danger
                        onConfirm={async () => (await del(`/api/v1/users/${encodeURIComponent(userId)}/sessions/${encodeURIComponent(session.id)}`), onChange())}
                      >
                        <p>
                          The session {session.device ? `on ${session.device} ` : ''}signed in {formatTime(session.createdAt)}
                          {session.ip ? ` from ${session.ip}` : ''} ends now: that device is signed out at its next request. Their other sessions and their API tokens keep working.
                        </p>
                      </ConfirmButton>
                    )
                  : undefined
              }
            />
          )}

          <h3>API tokens</h3>
          {activity.tokens.length === 0 ? (
            <p className="muted">No API tokens.</p>
          ) : (
            <TokenTable
              label="API tokens"
              tokens={activity.tokens}
              actions={
                manage
                  ? (token) =>
                      token.revokedAt ? (
                        <span className="badge">revoked</span>
                      ) : (
                        <ConfirmButton
                          label="Revoke"
                          className="small"
                          title={`Revoke the token ${token.name}?`}
                          confirmLabel="Revoke token"
                          danger
                          onConfirm={async () => (await del(`/api/v1/tokens/${encodeURIComponent(token.id)}`), onChange())}
                        >
                          <p>Anything using this token loses access at once; it can't be restored (they can create a new one). Their sessions and other tokens keep working.</p>
                        </ConfirmButton>
                      )
                  : undefined
              }
            />
          )}
        </>
      )}
    </section>
  );
}
