import { useState, type FormEvent } from 'react';
import { del, get, patch, post } from '../api.ts';
import { SessionTable, TokenTable } from '../components/account-tables.tsx';
import { AvatarImage, AvatarUpload } from '../components/avatar.tsx';
import { ConfirmButton, ErrorMessage, Field, formatTime, Loading, Notice, OneTimeSecret, useAction, useLoad } from '../components/ui.tsx';
import { useMe, useSession } from '../session.tsx';
import type { ApiToken, CreatedToken, SessionView } from '../types.ts';
import { ChangePasswordForm } from './sign-in.tsx';
import { TwoFactorSection } from './two-factor.tsx';

/** Settings → Security: the caller's own profile, password, 2FA, API tokens and sessions. */
export function SecurityPage() {
  // A password change that revoked the API tokens (or ended sessions) makes those lists stale: draw them afresh.
  const [changes, setChanges] = useState(0);
  return (
    <>
      <header className="page-header">
        <h1>Security settings</h1>
      </header>
      <ProfileSection />
      <PasswordSection onChanged={() => setChanges((count) => count + 1)} />
      <TwoFactorSection />
      <TokensSection key={`tokens-${changes}`} />
      <SessionsSection key={`sessions-${changes}`} />
    </>
  );
}

function ProfileSection() {
  const me = useMe();
  const { refresh } = useSession();
  const [displayName, setDisplayName] = useState(me.user.displayName);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const save = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void action.run(async () => {
      await patch('/api/v1/me', { displayName });
      setSaved(true);
      await refresh();
    });
  };
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <div className="profile">
        <AvatarImage src="/api/v1/me/avatar" name={me.user.displayName || me.user.email} updatedAt={me.avatarUpdatedAt} />
        <div>
          <form className="inline" onSubmit={save}>
            <Field label="Display name">{(id) => <input id={id} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}</Field>
            <button type="submit" disabled={action.pending}>
              Save name
            </button>
          </form>
          <ErrorMessage error={action.error} />
          {saved && <Notice>Display name saved.</Notice>}
          <AvatarUpload path="/api/v1/me/avatar" onChange={() => void refresh()} />
        </div>
      </div>
    </section>
  );
}

function PasswordSection({ onChanged }: { onChanged: () => void }) {
  const me = useMe();
  const [notice, setNotice] = useState<string>();
  if (me.hasPassword === false) {
    // An account single sign-on created: changing a password needs the current one, which it doesn't have.
    return (
      <section className="card" aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <p className="message info">
          You sign in through your organisation's identity provider (single sign-on), and your account has no Sophon password: your password and its rules are
          managed there. If you ever need a Sophon password too, an administrator can send you a password reset link. For the CLI and integrations, use an API token
          (below).
        </p>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <ChangePasswordForm
        offerEndOtherSessions
        offerRevokeTokens
        onChanged={(result) => {
          setNotice(
            `Password changed.${result.endedSessions ? ` ${result.endedSessions} other session(s) were signed out.` : ''}${result.revokedTokens ? ` ${result.revokedTokens} API token(s) were revoked.` : ''}`,
          );
          onChanged();
        }}
      />
      {notice && <Notice>{notice}</Notice>}
    </section>
  );
}

const lifetimes = [
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '1 year' },
  { value: '', label: 'Never expires' },
];

function TokensSection() {
  const tokens = useLoad(() => get<{ items: ApiToken[] }>('/api/v1/me/tokens'), []);
  const [name, setName] = useState('');
  const [expiresIn, setExpiresIn] = useState('90d');
  const [secret, setSecret] = useState<{ title: string; created: CreatedToken }>();
  const action = useAction();

  const create = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const created = await post<CreatedToken>('/api/v1/me/tokens', { name, ...(expiresIn ? { expiresIn } : {}) });
      setSecret({ title: `New token “${created.token.name}”`, created });
      setName('');
      tokens.reload();
    });
  };
  const rotate = (token: ApiToken) =>
    action.run(async () => {
      const created = await post<CreatedToken>(`/api/v1/me/tokens/${encodeURIComponent(token.id)}/rotate`);
      setSecret({ title: `Rotated token “${created.token.name}”`, created });
      tokens.reload();
    });

  const active = tokens.data?.items.filter((token) => !token.revokedAt) ?? [];
  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="muted">Long-lived credentials for the CLI, CI and integrations. They act as you, with your permissions.</p>
      {secret && (
        <OneTimeSecret
          title={secret.title}
          note="Copy the secret now: it is shown only this once and can't be retrieved later."
          rows={[{ label: 'Token secret', value: secret.created.secret }]}
        />
      )}
      <form className="inline" onSubmit={create} aria-label="Create API token">
        <Field label="Token name">{(id) => <input id={id} required maxLength={100} placeholder="ci-deploy" value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <Field label="Expires">
          {(id) => (
            <select id={id} value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
              {lifetimes.map((lifetime) => (
                <option key={lifetime.label} value={lifetime.value}>
                  {lifetime.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={action.pending}>
          Create token
        </button>
      </form>
      <ErrorMessage error={action.error ?? tokens.error} />
      {!tokens.data ? (
        <Loading />
      ) : active.length === 0 ? (
        <p className="muted">You have no API tokens.</p>
      ) : (
        <TokenTable
          label="Your API tokens"
          tokens={active}
          actions={(token) => (
            <>
              <ConfirmButton label="Rotate" className="small" title={`Rotate ${token.name}?`} confirmLabel="Rotate token" onConfirm={() => rotate(token)}>
                <p>The current secret stops working now; a new one with the same name and lifetime is shown once.</p>
              </ConfirmButton>
              <ConfirmButton
                label="Delete"
                className="small"
                title={`Delete ${token.name}?`}
                confirmLabel="Delete token"
                danger
                onConfirm={async () => {
                  await del(`/api/v1/me/tokens/${encodeURIComponent(token.id)}`);
                  tokens.reload();
                }}
              >
                <p>Anything using this token loses access immediately.</p>
              </ConfirmButton>
            </>
          )}
        />
      )}
    </section>
  );
}

function SessionsSection() {
  const sessions = useLoad(() => get<{ items: SessionView[] }>('/api/v1/me/sessions'), []);
  const revoke = async (session: SessionView) => {
    await del(`/api/v1/me/sessions/${encodeURIComponent(session.id)}`);
    sessions.reload();
  };
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Active sessions</h2>
      <ErrorMessage error={sessions.error} />
      {!sessions.data ? (
        <Loading />
      ) : (
        <SessionTable
          label="Your active sessions"
          sessions={sessions.data.items}
          createdHeading="Signed in"
          actions={(session) =>
            !session.current && (
              <ConfirmButton label="Revoke" className="small" title="Sign out this session?" confirmLabel="Revoke session" danger onConfirm={() => revoke(session)}>
                <p>
                  The session {session.device ? `on ${session.device} ` : ''}signed in {formatTime(session.createdAt)}
                  {session.ip ? ` from ${session.ip}` : ''} ends now: that device is signed out at its next request. This session and your API tokens keep working.
                </p>
              </ConfirmButton>
            )
          }
        />
      )}
    </section>
  );
}
