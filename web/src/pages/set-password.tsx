import { useEffect, useState, type FormEvent } from 'react';
import { post } from '../api.ts';
import { ErrorMessage, Field, useAction } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { LinkRedeemed } from '../types.ts';

const tokenInHash = () => new URLSearchParams(window.location.hash.slice(1)).get('token') ?? undefined;

/** Redeems an invitation or password-reset link: /set-password#token=… */
export function SetPasswordPage() {
  const [token] = useState(tokenInHash);
  // The token stays in memory only: take it out of the address bar and the history entry.
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  }, []);
  const [newPassword, setNewPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [doneFor, setDoneFor] = useState<string>();
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      if (newPassword !== confirmation) throw new Error('The two passwords are different.');
      const result = await post<LinkRedeemed>('/api/v1/auth/redeem-link', { token, newPassword });
      setDoneFor(result.email);
    });
  };

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand">Sophon Identity</p>
        <h1>Set your password</h1>
        {doneFor ? (
          <>
            <p role="status">
              The password for <strong>{doneFor}</strong> is set. Any earlier sessions were signed out.
            </p>
            <Link to="/login" className="button primary">
              Sign in
            </Link>
          </>
        ) : !token ? (
          <p className="message error" role="alert">
            This link has no token. Open the full link from your invitation or reset message, or ask an administrator for a new one.
          </p>
        ) : (
          <form onSubmit={submit} aria-label="Set password">
            <Field label="New password">
              {(id) => <input id={id} type="password" autoComplete="new-password" required value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />}
            </Field>
            <Field label="Confirm new password">
              {(id) => <input id={id} type="password" autoComplete="new-password" required value={confirmation} onChange={(e) => setConfirmation(e.target.value)} />}
            </Field>
            <ErrorMessage error={action.error} />
            <button type="submit" className="primary" disabled={action.pending}>
              Set password
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
