import { useState, type FormEvent } from 'react';
import { post } from '../api.ts';
import { ErrorMessage, Field, useAction } from '../components/ui.tsx';
import { useSession } from '../session.tsx';
import type { LoginResult } from '../types.ts';

type Step = { kind: 'credentials' } | { kind: 'two-factor'; challenge: string; password: string } | { kind: 'change-password'; currentPassword: string };

/** Sign in: email and password, then the second factor if the account has one, then a new password if required. */
export function SignInPage() {
  const [step, setStep] = useState<Step>({ kind: 'credentials' });
  const { refresh } = useSession();

  const finish = async (result: LoginResult, password: string) => {
    if (result.twoFactorRequired) setStep({ kind: 'two-factor', challenge: result.challenge, password });
    else if (result.mustChangePassword) setStep({ kind: 'change-password', currentPassword: password });
    else await refresh();
  };

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand">Sophon Identity</p>
        {step.kind === 'credentials' && <CredentialsForm onResult={finish} />}
        {step.kind === 'two-factor' && <TwoFactorForm challenge={step.challenge} onResult={(result) => finish(result, step.password)} onCancel={() => setStep({ kind: 'credentials' })} />}
        {step.kind === 'change-password' && (
          <>
            <h1>Choose a new password</h1>
            <p className="muted">Your password was set by an administrator and works only once. Choose your own to continue.</p>
            <ChangePasswordForm knownCurrentPassword={step.currentPassword} onChanged={refresh} submitLabel="Set password and continue" />
          </>
        )}
      </div>
    </main>
  );
}

function CredentialsForm({ onResult }: { onResult: (result: LoginResult, password: string) => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => onResult(await post<LoginResult>('/api/v1/auth/login', { email, password }), password));
  };
  return (
    <form onSubmit={submit} aria-label="Sign in">
      <h1>Sign in</h1>
      <Field label="Email">{(id) => <input id={id} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
      <Field label="Password">
        {(id) => <input id={id} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
      </Field>
      <ErrorMessage error={action.error} />
      <button type="submit" className="primary" disabled={action.pending}>
        Sign in
      </button>
    </form>
  );
}

function TwoFactorForm({ challenge, onResult, onCancel }: { challenge: string; onResult: (result: LoginResult) => Promise<void>; onCancel: () => void }) {
  const [useRecovery, setUseRecovery] = useState(false);
  const [value, setValue] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = useRecovery ? { challenge, recoveryCode: value.trim() } : { challenge, code: value.replace(/\s/g, '') };
    void action.run(async () => onResult(await post<LoginResult>('/api/v1/auth/login/two-factor', body)));
  };
  return (
    <form onSubmit={submit} aria-label="Two-factor authentication">
      <h1>Two-factor authentication</h1>
      <p className="muted">{useRecovery ? 'Enter one of the recovery codes you saved when you enabled two-factor authentication.' : 'Enter the 6-digit code from your authenticator app.'}</p>
      <Field label={useRecovery ? 'Recovery code' : 'Authentication code'}>
        {(id) => (
          <input
            id={id}
            autoComplete="one-time-code"
            inputMode={useRecovery ? 'text' : 'numeric'}
            required
            autoFocus
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        )}
      </Field>
      <ErrorMessage error={action.error} />
      <button type="submit" className="primary" disabled={action.pending}>
        Verify
      </button>
      <div className="actions">
        <button type="button" className="link" onClick={() => (setUseRecovery(!useRecovery), setValue(''))}>
          {useRecovery ? 'Use an authentication code' : 'Use a recovery code'}
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Back
        </button>
      </div>
    </form>
  );
}

/**
 * Changes the caller's own password. At first sign-in the current password is the one just
 * typed, so it isn't asked again.
 */
export function ChangePasswordForm({
  knownCurrentPassword,
  onChanged,
  submitLabel = 'Change password',
  offerEndOtherSessions = false,
}: {
  knownCurrentPassword?: string;
  onChanged: (result: { endedSessions?: number }) => Promise<void> | void;
  submitLabel?: string;
  offerEndOtherSessions?: boolean;
}) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [endOtherSessions, setEndOtherSessions] = useState(true);
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      if (newPassword !== confirmation) throw new Error('The two new passwords are different.');
      const result = await post<{ endedSessions?: number }>('/api/v1/auth/password', {
        currentPassword: knownCurrentPassword ?? currentPassword,
        newPassword,
        ...(offerEndOtherSessions ? { endOtherSessions } : {}),
      });
      setCurrentPassword('');
      setNewPassword('');
      setConfirmation('');
      await onChanged(result);
    });
  };
  return (
    <form onSubmit={submit} aria-label="Change password">
      {knownCurrentPassword === undefined && (
        <Field label="Current password">
          {(id) => <input id={id} type="password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />}
        </Field>
      )}
      <Field label="New password">
        {(id) => <input id={id} type="password" autoComplete="new-password" required value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />}
      </Field>
      <Field label="Confirm new password">
        {(id) => <input id={id} type="password" autoComplete="new-password" required value={confirmation} onChange={(e) => setConfirmation(e.target.value)} />}
      </Field>
      {offerEndOtherSessions && (
        <label className="checkbox">
          <input type="checkbox" checked={endOtherSessions} onChange={(e) => setEndOtherSessions(e.target.checked)} /> Sign out my other sessions
        </label>
      )}
      <ErrorMessage error={action.error} />
      <button type="submit" className="primary" disabled={action.pending}>
        {submitLabel}
      </button>
    </form>
  );
}

/** Shown when an existing session must still change its password (e.g. after a reload). */
export function MustChangePasswordPage() {
  const { refresh, signOut } = useSession();
  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand">Sophon Identity</p>
        <h1>Choose a new password</h1>
        <p className="muted">You must change your one-time password before using the dashboard.</p>
        <ChangePasswordForm onChanged={refresh} submitLabel="Set password and continue" />
        <div className="actions">
          <button type="button" className="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </div>
    </main>
  );
}
