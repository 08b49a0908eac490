import { useMemo, useState, type FormEvent } from 'react';
import { get, hasErrorCode, post } from '../api.ts';
import { ConfirmButton, CopyButton, ErrorMessage, Field, formatTime, Loading, Notice, useAction, useLoad } from '../components/ui.tsx';
import { useMe, useSession } from '../session.tsx';
import type { EnrollmentConfirmed, RecoveryCodes, TwoFactorDisabled, TwoFactorEnrollment as EnrollmentStart, TwoFactorStatus } from '../types.ts';

/**
 * The QR code, drawn from the server's SVG: only its viewBox and path geometry are kept, so
 * no markup from the response reaches the page (and the CSP forbids data: images anyway).
 */
function QrCode({ svg }: { svg: string }) {
  const drawing = useMemo(() => {
    const root = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
    const paths = [...root.querySelectorAll('path')].map((path) => ({
      d: path.getAttribute('d') ?? '',
      fill: path.getAttribute('fill') ?? undefined,
      stroke: path.getAttribute('stroke') ?? undefined,
    }));
    return { viewBox: root.getAttribute('viewBox') ?? undefined, paths };
  }, [svg]);
  return (
    <svg className="qr" viewBox={drawing.viewBox} role="img" aria-label="QR code for your authenticator app" shapeRendering="crispEdges">
      {drawing.paths.map((path, index) => (
        <path key={index} d={path.d} fill={path.fill} stroke={path.stroke} />
      ))}
    </svg>
  );
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <section className="secret" aria-label="Recovery codes">
      <h3>Recovery codes</h3>
      <p className="muted">Shown only this once. Each works once, if you lose your authenticator. Keep them somewhere safe.</p>
      <ul className="recovery-codes" aria-label="Recovery code list">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <CopyButton value={codes.join('\n')} label="Copy recovery codes" />
    </section>
  );
}

/** Enrolment: a new secret as QR code and text, confirmed with a code from the app and the password. */
export function TwoFactorEnrollment({ onEnabled, onConfirmed }: { onEnabled: () => void; onConfirmed?: () => void }) {
  const [start, setStart] = useState<EnrollmentStart>();
  const [code, setCode] = useState('');
  const [currentPassword, setCurrentPassword] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>();
  const action = useAction();

  const begin = () => action.run(async () => setStart(await post<EnrollmentStart>('/api/v1/me/two-factor/enrollment')));
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const result = await post<EnrollmentConfirmed>('/api/v1/me/two-factor/enrollment/confirm', { code: code.replace(/\s/g, ''), currentPassword });
      setCurrentPassword('');
      setRecoveryCodes(result.recoveryCodes);
      onConfirmed?.();
    });
  };

  if (recoveryCodes) {
    return (
      <>
        <Notice>Two-factor authentication is on.</Notice>
        <RecoveryCodes codes={recoveryCodes} />
        <button type="button" className="primary" onClick={onEnabled}>
          I saved my recovery codes
        </button>
      </>
    );
  }
  if (!start) {
    return (
      <>
        <ErrorMessage error={action.error} />
        <button type="button" className="primary" onClick={() => void begin()} disabled={action.pending}>
          Set up an authenticator app
        </button>
      </>
    );
  }
  return (
    <div className="profile">
      <QrCode svg={start.qrCode.svg} />
      <form onSubmit={confirm} aria-label="Confirm two-factor authentication">
        <p>
          Scan the code with Google Authenticator, Authy, 1Password or another TOTP app, or enter this key: <code aria-label="Setup key">{start.secret}</code>
        </p>
        <Field label="Code from the app" hint={`${start.digits} digits; set up before ${formatTime(start.expiresAt)}.`}>
          {(id) => <input id={id} inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />}
        </Field>
        <Field label="Current password">
          {(id) => <input id={id} type="password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />}
        </Field>
        <ErrorMessage error={action.error} />
        <button type="submit" className="primary" disabled={action.pending}>
          Turn on two-factor authentication
        </button>
      </form>
    </div>
  );
}

/** Settings → Security → Two-factor authentication. Hidden if the server has no 2FA API. */
export function TwoFactorSection() {
  const me = useMe();
  const status = useLoad(async () => {
    try {
      return await get<TwoFactorStatus>('/api/v1/me/two-factor');
    } catch (error) {
      if (hasErrorCode(error, 'ROUTE_NOT_FOUND')) return null;
      throw error;
    }
  }, []);
  if (status.data === null) return null;
  return (
    <section className="card" aria-labelledby="two-factor-heading">
      <h2 id="two-factor-heading">Two-factor authentication</h2>
      <ErrorMessage error={status.error} />
      {!status.data ? (
        <Loading />
      ) : me.hasPassword === false && !status.data.enabled ? (
        // Turning 2FA on is confirmed with the current password, which an account SSO created doesn't have.
        <p className="message info">
          Your account has no Sophon password: you sign in through your organisation's identity provider, and a second factor there is the provider's job (Sophon
          doesn't ask for its own code on a single sign-on). Sophon's two-factor authentication protects a Sophon password; it can be turned on once an
          administrator has given you one.
        </p>
      ) : (
        <TwoFactorSettings status={status.data} onChange={status.reload} />
      )}
    </section>
  );
}

function TwoFactorSettings({ status, onChange }: { status: TwoFactorStatus; onChange: () => void }) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [codes, setCodes] = useState<string[]>();
  const [notice, setNotice] = useState<string>();
  const [confirmed, setConfirmed] = useState(false);
  const action = useAction();

  if (!status.enabled) {
    return (
      <>
        {!confirmed && (
          <p className="muted">
            {status.reenrolmentRequired ? 'An administrator reset it: set up your authenticator again.' : status.required ? 'Required for your account.' : 'Off.'} Add a code from an
            authenticator app to every sign-in.
          </p>
        )}
        <TwoFactorEnrollment onEnabled={onChange} onConfirmed={() => setConfirmed(true)} />
      </>
    );
  }

  const withPassword = (work: () => Promise<void>) => (event: FormEvent) => {
    event.preventDefault();
    setNotice(undefined);
    void action.run(async () => {
      await work();
      setCurrentPassword('');
    });
  };
  const regenerate = withPassword(async () => {
    const result = await post<RecoveryCodes>('/api/v1/me/two-factor/recovery-codes', { currentPassword });
    setCodes(result.recoveryCodes);
    onChange();
  });
  const disable = async () => {
    const result = await post<TwoFactorDisabled>('/api/v1/me/two-factor/disable', { currentPassword });
    setNotice(`Two-factor authentication is off.${result.endedSessions ? ` ${result.endedSessions} other session(s) were signed out.` : ''}`);
    onChange();
  };

  return (
    <>
      <p>
        <span className="badge badge-active">on</span> since {formatTime(status.enabledAt)} · {status.recoveryCodesRemaining} recovery code(s) left
        {status.required && <span className="muted"> · required for your account</span>}
      </p>
      {codes && <RecoveryCodes codes={codes} />}
      <form className="inline" onSubmit={regenerate} aria-label="Manage two-factor authentication">
        <Field label="Current password">
          {(id) => <input id={id} type="password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />}
        </Field>
        <button type="submit" disabled={action.pending}>
          Regenerate recovery codes
        </button>
        {!status.required && (
          <ConfirmButton label="Turn off" title="Turn off two-factor authentication?" confirmLabel="Turn off 2FA" danger disabled={action.pending || !currentPassword} onConfirm={disable}>
            <p>
              Your authenticator and recovery codes stop working, and signing in needs only your password. Your other sessions are signed out; this one and your API tokens
              keep working.
            </p>
          </ConfirmButton>
        )}
      </form>
      <ErrorMessage error={action.error} />
      {notice && <Notice>{notice}</Notice>}
    </>
  );
}

/** Shown when the account must enrol in 2FA before doing anything else. */
export function MustEnrollTwoFactorPage() {
  const { refresh, signOut } = useSession();
  const status = useLoad(() => get<TwoFactorStatus>('/api/v1/me/two-factor'), []);
  return (
    <main className="auth-page">
      <div className="auth-card wide">
        <p className="brand">Sophon Identity</p>
        <h1>Set up two-factor authentication</h1>
        <p className="muted">
          {status.data?.reenrolmentRequired
            ? 'An administrator reset your two-factor authentication. Set up your authenticator app again to continue.'
            : 'Your organisation requires a code from an authenticator app at every sign-in. Set it up to continue.'}
        </p>
        <TwoFactorEnrollment onEnabled={() => void refresh()} />
        <div className="actions">
          <button type="button" className="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </div>
    </main>
  );
}
