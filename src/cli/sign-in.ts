import { Option, type Command } from 'commander';
import type { CliContext } from './context.ts';
import { endpoints } from './endpoints.ts';
import { CliError, ExitCode, usageError } from './exit-codes.ts';
import { HttpClient } from './http-client.ts';
import { askSecret, isInteractive, nextStdinLine, obtain } from './prompt.ts';

export interface LoginBody {
  user: { id: string; email: string; displayName: string };
  mustChangePassword: boolean;
  csrfToken: string;
  session: { id: string; expiresAt: string };
}

/** The 2FA contract: a first answer with a challenge and no cookie, then the code against the challenge. */
interface TwoFactorChallenge {
  twoFactorRequired: true;
  challenge: string;
}

export interface SignInOptions {
  email?: string;
  password?: string;
  passwordStdin?: boolean;
  totp?: string;
  recoveryCode?: string;
}

export interface SignedIn {
  /** A client carrying the new cookie session (and its CSRF token), in no particular tenant. */
  session: HttpClient;
  body: LoginBody;
  password: string;
}

/** Email and password (and a second factor when the account has one) → a cookie session. */
export async function signIn(context: CliContext, options: SignInOptions, passwordLabel = 'Password'): Promise<SignedIn> {
  const email = await obtain(options.email, 'Email', { flag: '--email <email>' });
  const password = options.passwordStdin ? await nextStdinLine(passwordLabel.toLowerCase()) : await obtain(options.password, passwordLabel, { secret: true, flag: '--password <password> or --password-stdin' });
  const anonymous = new HttpClient(context.url, { kind: 'none' });
  let response = await anonymous.send<LoginBody | TwoFactorChallenge>(endpoints.login, { body: { email, password } }).catch(loginRefused);
  if ('twoFactorRequired' in response.body && response.body.twoFactorRequired) {
    const second = await secondFactor(options);
    response = await anonymous.send<LoginBody>(endpoints.loginTwoFactor, { body: { challenge: response.body.challenge, ...second } }).catch(loginRefused);
  }
  const cookie = response.setCookies
    .map((line) => line.split(';')[0]!)
    .filter((pair) => pair.startsWith('sophon_session='))
    .join('; ');
  const body = response.body as LoginBody;
  if (!cookie || !body.csrfToken) throw new CliError(ExitCode.ServerError, `the server at ${context.url} accepted the login but sent no session cookie.`);
  return { session: anonymous.withCredential({ kind: 'session', cookie, csrf: body.csrfToken }), body, password };
}

function loginRefused(error: unknown): never {
  if (error instanceof CliError && error.exitCode === ExitCode.PermissionDenied) {
    throw new CliError(ExitCode.PermissionDenied, `login refused: ${error.message.replace(/^not signed in: /, '')}`, error.code);
  }
  throw error;
}

async function secondFactor(options: SignInOptions): Promise<{ code: string } | { recoveryCode: string }> {
  if (options.totp) return { code: options.totp.trim() };
  if (options.recoveryCode) return { recoveryCode: options.recoveryCode.trim() };
  if (!isInteractive()) throw usageError('this account has two-factor authentication: pass --totp <code> or --recovery-code <code>.');
  const answer = (await askSecret('Authentication code from your app (or a recovery code): ')).trim();
  if (!answer) throw usageError('no authentication code given.');
  return /^\d{6,8}$/.test(answer.replace(/\s/g, '')) ? { code: answer.replace(/\s/g, '') } : { recoveryCode: answer };
}

export async function endSession(session: HttpClient): Promise<void> {
  await session.send(endpoints.logout).catch(() => undefined);
}

/** Who a self-service command acts as, and how to let go of it afterwards. */
export interface Caller {
  client: HttpClient;
  /** The password typed to sign in, when the command signed in (it is the current password too). */
  password: string | undefined;
  /** The email signed in with, when the command signed in. */
  email: string | undefined;
  end(): Promise<void>;
}

/**
 * The stored login or --token/SOPHON_TOKEN; with --email (or with no token at all) a session
 * signed in for this command alone, which is how someone whom Require 2FA keeps from getting
 * a token reaches the routes that let them enrol.
 */
export async function callerOf(context: CliContext, options: SignInOptions): Promise<Caller> {
  if (options.email === undefined && context.client.credential.kind === 'token') {
    return { client: context.client, password: undefined, email: undefined, end: async () => undefined };
  }
  const signedIn = await signIn(context, options);
  // The session acts in --tenant like a token would; it is ended without it, so a bad slug can't keep it open.
  const client = new HttpClient(context.url, signedIn.session.credential, context.options.tenant);
  return { client, password: signedIn.password, email: signedIn.body.user.email, end: () => endSession(signedIn.session) };
}

/** The current password: the one just signed in with, else from the flag, the terminal or the next stdin line. */
export async function currentPasswordOf(caller: Caller, options: SignInOptions): Promise<string> {
  if (caller.password !== undefined) return caller.password;
  if (options.passwordStdin) return nextStdinLine('current password');
  return obtain(options.password, 'Current password', { secret: true, flag: '--password <password> or --password-stdin' });
}

export const signInOptions = (
  command: Command,
  passwordDescription = 'your password (prefer the prompt or --password-stdin: flags show in the process list)',
  emailDescription = 'your email (asked on a terminal)',
) =>
  command
    .option('--email <email>', emailDescription)
    .option('--password <password>', passwordDescription)
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--totp <code>', 'the code from your authenticator app, when the account has 2FA')
    .addOption(new Option('--recovery-code <code>', 'a 2FA recovery code, instead of --totp').conflicts('totp'));
