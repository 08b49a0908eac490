import { useState, type FormEvent } from 'react';
import { get, hasErrorCode, post } from '../api.ts';
import { ErrorMessage, Field, Notice, useAction, useLoad } from '../components/ui.tsx';
import { Link, navigate, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { LoginResult, SsoConfig } from '../types.ts';
import { messageOf, type ErrorCode } from '../../../src/domain/error-catalogue.ts';
import type { ssoErrorCodes } from '../../../src/domain/sso/error-codes.ts';

type Step = { kind: 'credentials' } | { kind: 'two-factor'; challenge: string; password: string } | { kind: 'change-password'; currentPassword: string };

/** Sign in: email and password, then the second factor if the account has one, then a new password if required. */
export function SignInPage() {
  const [step, setStep] = useState<Step>({ kind: 'credentials' });
  const { refresh } = useSession();
  const { search } = useLocation();

  const finish = async (result: LoginResult, password: string) => {
    // The signed-in answer has no twoFactorRequired field at all; the challenge has it, true.
    if ('twoFactorRequired' in result) setStep({ kind: 'two-factor', challenge: result.challenge, password });
    else if (result.mustChangePassword) setStep({ kind: 'change-password', currentPassword: password });
    else await refresh();
  };

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand">Sophon Identity</p>
        {step.kind === 'credentials' && search.has(FORGOT_PASSWORD_PARAMETER) && <ForgotPassword />}
        {step.kind === 'credentials' && !search.has(FORGOT_PASSWORD_PARAMETER) && (
          <>
            <h1>Sign in</h1>
            <SsoErrorMessage />
            <SingleSignOn />
            <CredentialsForm onResult={finish} />
            <p className="actions">
              <Link to={`/login?${FORGOT_PASSWORD_PARAMETER}`}>Forgot password?</Link>
            </p>
          </>
        )}
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

/** Where the server starts single sign-on, unless its config names another path of this origin. */
const SSO_LOGIN_URL = '/api/v1/auth/sso';

/**
 * "Sign in with …" when the server has single sign-on on: a plain link, so the browser
 * itself goes to the server, which redirects it to the identity provider's page (a fetch
 * couldn't take the browser there).
 * The password form stays below it, for local accounts such as a break-glass admin.
 */
function SingleSignOn() {
  const config = useLoad(async () => {
    try {
      return await get<SsoConfig>('/api/v1/auth/sso/config');
    } catch {
      // An older server without SSO, or a failure: the password form still works.
      return { enabled: false } as const;
    }
  }, []);
  if (!config.data?.enabled) return null;
  const { loginUrl } = config.data;
  // A path of this origin only ("//host" and "/\host" would leave it).
  const href = typeof loginUrl === 'string' && /^\/(?![/\\])/.test(loginUrl) ? loginUrl : SSO_LOGIN_URL;
  return (
    <>
      <a className="button primary sso-button" href={href}>
        {config.data.buttonLabel}
      </a>
      <p className="separator">
        <span>or</span>
      </p>
    </>
  );
}

/**
 * The codes of the sso concept that can reach this page: all but SSO_TOO_MANY_STARTS, which the
 * start route answers as a 429 for the script that sent the starts, never as a redirect.
 */
type SsoRedirectCode = Exclude<keyof typeof ssoErrorCodes, 'SSO_TOO_MANY_STARTS'>;

/**
 * What the server's refusals of a single sign-on mean to the person at the sign-in page (the
 * server redirects to /login?ssoError=CODE). Keyed by the server's catalogue
 * (src/domain/error-catalogue.ts): every code of the sso concept must have its entry, so a new
 * one fails the type check until it does, and a renamed or removed code fails it too. Where the
 * catalogue's message needs no values and speaks to this person, it is the message (messageOf's
 * type fails if it later gains a {value}); the others' messages are written for the API, naming
 * settings, claims and values the page doesn't have (they stay in the server's log and audit trail).
 */
const SSO_ERROR_MESSAGES: Record<SsoRedirectCode, string> & Partial<Record<ErrorCode, string>> = {
  SSO_NO_ROLE_MAPPING: "Your identity provider account isn't in any group mapped to a Sophon role; ask an administrator.",
  SSO_STATE_INVALID: 'The sign-in took too long or was started in another browser; try again.',
  SSO_PROVIDER_UNAVAILABLE: "The identity provider can't be reached right now; try again later, or tell an administrator if it persists.",
  SSO_PROVIDER_ERROR: 'The identity provider did not sign you in (it refused, or the sign-in was cancelled); try again.',
  SSO_TOKEN_INVALID: "The identity provider's answer failed Sophon's security checks; try again, and tell an administrator if it persists.",
  SSO_TOKEN_EXPIRED: "The identity provider's answer had already expired by the time it reached Sophon (the servers' clocks may disagree); try again, or tell an administrator.",
  SSO_EMAIL_MISSING: "Your identity provider didn't share an email address with Sophon; ask an administrator to release the email claim.",
  SSO_EMAIL_NOT_VERIFIED: "Your identity provider doesn't vouch for your email address; verify it there, or ask an administrator.",
  SSO_USER_NOT_PROVISIONED: "There is no Sophon account for you, and single sign-on doesn't create accounts here; ask an administrator to create yours.",
  ACCOUNT_SUSPENDED: messageOf('ACCOUNT_SUSPENDED', {}),
  SSO_ACCOUNT_LINKED_ELSEWHERE: messageOf('SSO_ACCOUNT_LINKED_ELSEWHERE', {}),
  SSO_ROLE_UNKNOWN: "Single sign-on maps you to a role that doesn't exist in Sophon; an administrator must fix the role mapping.",
  SSO_TENANT_UNKNOWN: "Single sign-on is set up for a tenant that doesn't exist; an administrator must fix the setting.",
  SSO_NOT_CONFIGURED: 'Single sign-on is not enabled on this server; sign in with your email and password.',
  SSO_ACCOUNT_EXISTS: 'A Sophon account with your email already exists and is not linked to your identity provider account; ask an administrator to link it, or sign in with your password.',
  SSO_EMAIL_DOMAIN_NOT_ALLOWED: "Your email address's domain may not sign in here through single sign-on; ask an administrator.",
  SSO_CLAIMS_INVALID: "Your identity provider sent a name or email Sophon can't accept (for example, with control characters); ask an administrator.",
  SSO_TOO_MANY_ATTEMPTS: messageOf('SSO_TOO_MANY_ATTEMPTS', {}),
  CONFLICT: 'Two sign-ins of your account happened at the same moment; sign in again.',
};

const GENERIC_SSO_ERROR = "Single sign-on didn't sign you in; try again, or ask an administrator.";

/** The message for `?ssoError=CODE`; the code is shown only when it looks like one (the address is anyone's to write). */
function ssoErrorOf(code: string | null): { message: string; code: string | undefined } | undefined {
  if (code === null) return undefined;
  const known = Object.hasOwn(SSO_ERROR_MESSAGES, code) ? SSO_ERROR_MESSAGES[code as ErrorCode] : undefined;
  return { message: known ?? GENERIC_SSO_ERROR, code: /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined };
}

function SsoErrorMessage() {
  const { search } = useLocation();
  const error = ssoErrorOf(search.get('ssoError'));
  if (!error) return null;
  return (
    <div className="message error" role="alert" aria-label="Single sign-on failed">
      <p>{error.message}</p>
      {error.code && (
        <p>
          <small>
            Code: <code>{error.code}</code>
          </small>
        </p>
      )}
    </div>
  );
}

function CredentialsForm({ onResult }: { onResult: (result: LoginResult, password: string) => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // A password attempt is a new try: a refused single sign-on's message goes.
    if (new URLSearchParams(window.location.search).has('ssoError')) navigate(window.location.pathname, { replace: true });
    void action.run(async () => onResult(await post<LoginResult>('/api/v1/auth/login', { email, password }), password));
  };
  return (
    <form onSubmit={submit} aria-label="Sign in">
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

/** `/login?forgot-password`: the sign-in page shows the reset request instead of the password form. */
const FORGOT_PASSWORD_PARAMETER = 'forgot-password';

/**
 * "Forgot password?": asks the server to mail a reset link. The server answers the same
 * whether the email has an account or not, so this says only that a mail is on its way if
 * there is one. Without SMTP the server refuses every request: then the page says to ask an
 * administrator instead, and offers no form to try again.
 */
function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string>();
  const action = useAction();
  const mailOff = hasErrorCode(action.error, 'PASSWORD_RESET_BY_MAIL_OFF');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => setSent((await post<{ message: string }>('/api/v1/auth/forgot-password', { email })).message));
  };
  return (
    <>
      <h1>Reset your password</h1>
      {mailOff ? (
        <div className="message error" role="alert" aria-label="Password reset unavailable">
          <p>This server can't send mail, so it can't send you a reset link. Ask an administrator to reset your password; they will give you a one-time link.</p>
        </div>
      ) : sent !== undefined ? (
        <Notice>{sent}</Notice>
      ) : (
        <form onSubmit={submit} aria-label="Reset password">
          <p className="muted">Enter the email you sign in with. If it belongs to an account, we mail it a one-time link to choose a new password.</p>
          <Field label="Email">{(id) => <input id={id} type="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
          <ErrorMessage error={action.error} />
          <button type="submit" className="primary" disabled={action.pending}>
            Send reset link
          </button>
        </form>
      )}
      <p className="actions">
        <Link to="/login">Back to sign in</Link>
      </p>
    </>
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
  offerRevokeTokens = false,
}: {
  knownCurrentPassword?: string;
  onChanged: (result: { endedSessions?: number; revokedTokens?: number }) => Promise<void> | void;
  submitLabel?: string;
  offerEndOtherSessions?: boolean;
  /** Offer to revoke the caller's API tokens with the change (they keep working otherwise). */
  offerRevokeTokens?: boolean;
}) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [endOtherSessions, setEndOtherSessions] = useState(true);
  const [revokeTokens, setRevokeTokens] = useState(false);
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      if (newPassword !== confirmation) throw new Error('The two new passwords are different.');
      const result = await post<{ endedSessions?: number; revokedTokens?: number }>('/api/v1/auth/password', {
        currentPassword: knownCurrentPassword ?? currentPassword,
        newPassword,
        ...(offerEndOtherSessions ? { endOtherSessions } : {}),
        ...(offerRevokeTokens ? { revokeTokens } : {}),
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
      {offerRevokeTokens && (
        <label className="checkbox">
          <input type="checkbox" checked={revokeTokens} onChange={(e) => setRevokeTokens(e.target.checked)} /> Also revoke my API tokens
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
