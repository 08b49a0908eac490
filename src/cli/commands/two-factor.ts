import { Command } from 'commander';
import { action, examples } from '../action.ts';
import type { CliContext } from '../context.ts';
import { endpoints } from '../endpoints.ts';
import { CliError, ExitCode, failedWith, usageError } from '../exit-codes.ts';
import type { HttpClient } from '../http-client.ts';
import { formatValue, note, printLine, renderDetails } from '../output.ts';
import { ask, confirm, isInteractive } from '../prompt.ts';
import { callerOf, currentPasswordOf, signInOptions, type Caller, type SignInOptions } from '../sign-in.ts';
import type { ErrorCode } from '../../domain/error-catalogue.ts';

/** GET /api/v1/me/two-factor */
interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  enrollmentPending: boolean;
  recoveryCodesRemaining: number;
  required: boolean;
  /** An admin reset 2FA: the user must enrol again, whatever Require 2FA says. */
  reenrolmentRequired?: boolean;
}

/** POST /api/v1/me/two-factor/enrollment */
interface EnrollmentStart {
  secret: string;
  otpauthUri: string;
  qrCode: { dataUrl: string; svg: string };
  algorithm: string;
  digits: number;
  period: number;
  expiresAt: string;
}

/** POST /api/v1/me/two-factor/enrollment/confirm */
interface EnrollmentConfirmed {
  enabled: true;
  recoveryCodes: string[];
  endedSessions: number;
}

/** Wrong codes typed at the terminal before giving up; each costs the person only a retype. */
const CODE_ATTEMPTS = 3;

/**
 * Where the human rendering goes: stdout, except under --json, where stdout carries only
 * the JSON answer and what a person must see to enrol (the secret, the QR code) goes to stderr.
 */
interface Display {
  line(text?: string): void;
  /** Whether that stream is a terminal, so a QR code drawn with block characters can be scanned off it. */
  terminal: boolean;
}

function displayOf(context: CliContext): Display {
  return context.json ? { line: (text = '') => note(text), terminal: Boolean(process.stderr.isTTY) } : { line: printLine, terminal: Boolean(process.stdout.isTTY) };
}

/** The API's refusals, reworded to name the command that gets past them. */
function explained(error: unknown): never {
  if (error instanceof CliError) {
    const hints: Partial<Record<ErrorCode, string>> = {
      TWO_FACTOR_ENROLLMENT_NOT_STARTED: 'no enrolment is waiting for a code (none was started, or it expired): run "sophon auth 2fa enable" without --code to start one.',
      TWO_FACTOR_ALREADY_ENABLED: 'two-factor authentication is already on for you. To move to another authenticator app, run "sophon auth 2fa disable", then "sophon auth 2fa enable"; for new recovery codes, "sophon auth 2fa recovery-codes".',
      TWO_FACTOR_NOT_ENABLED: 'two-factor authentication is not on for you; "sophon auth 2fa enable" turns it on.',
    };
    const hint = error.code ? hints[error.code as ErrorCode] : undefined;
    if (hint) throw new CliError(error.exitCode, hint, error.code);
  }
  throw error;
}

async function startEnrolment(client: HttpClient): Promise<EnrollmentStart> {
  return (await client.send<EnrollmentStart>(endpoints.startTwoFactorEnrollment).catch(explained)).body;
}

async function confirmEnrolment(client: HttpClient, code: string, currentPassword: string): Promise<EnrollmentConfirmed> {
  const body = { code: code.replace(/\s/g, ''), currentPassword };
  return (await client.send<EnrollmentConfirmed>(endpoints.confirmTwoFactorEnrollment, { body }).catch(explained)).body;
}

/** What an authenticator app needs: the QR code on a terminal, and always the URI and the secret to type in by hand. */
async function showEnrolment(started: EnrollmentStart, display: Display): Promise<void> {
  if (display.terminal) {
    // Loaded only here: drawing a QR code is the one thing in the CLI that needs it.
    const { default: QRCode } = await import('qrcode');
    display.line('Scan this QR code with your authenticator app:');
    display.line(await QRCode.toString(started.otpauthUri, { type: 'terminal', small: true }));
  }
  display.line(`Or enter this secret in the app by hand: ${started.secret}`);
  display.line(`  (time-based, ${started.algorithm}, ${started.digits} digits, every ${started.period} seconds)`);
  display.line(`The same as a link (otpauth URI): ${started.otpauthUri}`);
}

function showRecoveryCodes(codes: readonly string[], display: Display): void {
  display.line('Recovery codes: each one signs you in once when you do not have your app.');
  display.line('Store these now, somewhere safe and apart from your device: they are not shown again.');
  display.line();
  for (const code of codes) display.line(`  ${code}`);
  display.line();
}

function showEnabled(confirmed: EnrollmentConfirmed, display: Display): void {
  display.line('Two-factor authentication is on: logging in now asks for a code from your app.');
  if (confirmed.endedSessions > 0) display.line(`${confirmed.endedSessions} other session(s) of yours ended; they sign in again with a code.`);
  display.line();
  showRecoveryCodes(confirmed.recoveryCodes, display);
}

/**
 * The terminal part of enrolling: shows the secret, then asks for a code (again, after a
 * mistyped or expired one) and the current password, unless it is already known.
 */
async function enrolAtTerminal(client: HttpClient, display: Display, password: () => Promise<string>): Promise<EnrollmentConfirmed> {
  const started = await startEnrolment(client);
  await showEnrolment(started, display);
  let currentPassword: string | undefined;
  for (let attempt = 1; ; attempt += 1) {
    const code = (await ask('Code shown by your authenticator app: ')).replace(/\s/g, '');
    if (!code) throw usageError('no code given: two-factor authentication stays off.');
    currentPassword ??= await password();
    try {
      return await confirmEnrolment(client, code, currentPassword);
    } catch (error) {
      if (!failedWith(error, 'TWO_FACTOR_CODE_MISMATCH') || attempt === CODE_ATTEMPTS) throw error;
      note('That code does not match. Check that the time on your device is right, and type the code the app shows now.');
    }
  }
}

/**
 * `auth login` hit Require 2FA (the server refused to make the token until the account has
 * it). At a terminal the person can enrol on the spot with the session just opened; a script
 * can't answer a secret it has not seen yet, so it is sent to the two-step `auth 2fa enable`.
 */
export async function enrolDuringLogin(context: CliContext, session: HttpClient, email: string, currentPassword: string): Promise<void> {
  const refusal = () =>
    new CliError(
      ExitCode.PermissionDenied,
      `two-factor authentication is required for ${email} and is not set up yet, so no token was created. Set it up with "sophon auth 2fa enable --email ${email}" (it shows the secret for your authenticator app; the same command with --code <code> then turns it on), or run "sophon auth login" at a terminal, which offers to do it; then log in again with --totp <code>.`,
      'TWO_FACTOR_ENROLLMENT_REQUIRED',
    );
  if (!isInteractive()) throw refusal();
  note('Two-factor authentication is required for your account, and it is not set up yet.');
  const answer = await ask('Set it up now with an authenticator app? [Y/n] ');
  if (/^n(o)?$/i.test(answer)) throw refusal();
  const display = displayOf(context);
  showEnabled(await enrolAtTerminal(session, display, async () => currentPassword), display);
}

async function status(context: CliContext, _args: string[], options: SignInOptions): Promise<void> {
  const caller = await callerOf(context, options);
  try {
    const answer = (await caller.client.send<TwoFactorStatus>(endpoints.twoFactorStatus)).body;
    context.output(answer, () => {
      const state = answer.enabled ? `on (since ${formatValue(answer.enabledAt)})` : answer.enrollmentPending ? 'off: an enrolment is waiting for its code' : 'off';
      printLine(
        renderDetails([
          ['Two-factor', state],
          ['Recovery codes left', answer.enabled ? answer.recoveryCodesRemaining : undefined],
          ['Required for you', answer.reenrolmentRequired ? 'yes (an administrator reset your 2FA: enrol again)' : answer.required ? 'yes (Require 2FA applies to your account)' : 'no'],
        ]),
      );
      if (answer.required && !answer.enabled) note('Until it is on, the server refuses everything else you ask: run "sophon auth 2fa enable".');
      else if (answer.enabled && answer.recoveryCodesRemaining <= 2) note('Few recovery codes left: "sophon auth 2fa recovery-codes" makes a new set.');
    });
  } finally {
    await caller.end();
  }
}

async function enable(context: CliContext, _args: string[], options: SignInOptions & { code?: string }): Promise<void> {
  const caller = await callerOf(context, options);
  try {
    if (options.code !== undefined) {
      const confirmed = await confirmEnrolment(caller.client, options.code, await currentPasswordOf(caller, options));
      context.output(confirmed, () => showEnabled(confirmed, displayOf(context)));
      return;
    }
    if (isInteractive()) {
      const confirmed = await enrolAtTerminal(caller.client, displayOf(context), () => currentPasswordOf(caller, options));
      context.output(confirmed, () => showEnabled(confirmed, displayOf(context)));
      return;
    }
    // No terminal to read a code from: the secret is printed, and the code comes in a second run.
    const started = await startEnrolment(caller.client);
    if (context.json) printLine(JSON.stringify(started, null, 2));
    else await showEnrolment(started, displayOf(context));
    note(
      `Enrolment started; it waits for a code until ${started.expiresAt}. Add the secret to your authenticator app, then turn two-factor authentication on with:\n  ${nextStep(caller)}`,
    );
  } finally {
    await caller.end();
  }
}

function nextStep(caller: Caller): string {
  return `sophon auth 2fa enable${caller.email ? ` --email ${caller.email}` : ''} --code <code> --password-stdin`;
}

async function disable(context: CliContext, _args: string[], options: SignInOptions & { yes?: boolean }): Promise<void> {
  // Asked before signing in, so a script without --yes is refused before anything is sent.
  if (!(await confirm('Turn off two-factor authentication for your account (your other sessions end)?', options.yes))) return void note('Nothing done.');
  const caller = await callerOf(context, options);
  try {
    const currentPassword = await currentPasswordOf(caller, options);
    const answer = (await caller.client.send<{ enabled: false; endedSessions: number }>(endpoints.disableTwoFactor, { body: { currentPassword } }).catch(explained)).body;
    context.output(answer, () => {
      printLine('Two-factor authentication is off; your recovery codes no longer work.');
      if (answer.endedSessions > 0) printLine(`${answer.endedSessions} other session(s) of yours ended.`);
    });
  } finally {
    await caller.end();
  }
}

async function regenerateRecoveryCodes(context: CliContext, _args: string[], options: SignInOptions): Promise<void> {
  const caller = await callerOf(context, options);
  try {
    const currentPassword = await currentPasswordOf(caller, options);
    const answer = (await caller.client.send<{ recoveryCodes: string[] }>(endpoints.regenerateRecoveryCodes, { body: { currentPassword } }).catch(explained)).body;
    context.output(answer, () => {
      printLine('New recovery codes made; the previous ones no longer work.');
      showRecoveryCodes(answer.recoveryCodes, displayOf(context));
    });
  } finally {
    await caller.end();
  }
}

const EMAIL_DESCRIPTION = 'sign in with this email for this command instead of using the stored login (as needed while Require 2FA keeps "auth login" from storing one)';

export function twoFactorCommand(): Command {
  const twoFactor = new Command('2fa').description(
    'your two-factor authentication (an authenticator app): status, set up, recovery codes, turn off. Uses the stored login or --token; with --email, signs in for the command alone',
  );
  signInOptions(twoFactor.command('status').description('whether 2FA is on for you, how many recovery codes are left, and whether it is required for you'), 'your password, with --email', EMAIL_DESCRIPTION)
    .addHelpText('after', examples('sophon auth 2fa status', 'sophon auth 2fa status --json', 'sophon auth 2fa status --email jane@example.com'))
    .action(action(status));
  signInOptions(
    twoFactor
      .command('enable')
      .description(
        'set up 2FA: shows a new secret (and its QR code on a terminal) for your authenticator app, then turns 2FA on with a code from the app and your current password, and prints your recovery codes once. With no terminal, it stops after showing the secret; run it again with --code to finish (within 15 minutes).',
      ),
    'your current password (prefer the prompt or --password-stdin: flags show in the process list)',
    EMAIL_DESCRIPTION,
  )
    .option('--code <code>', 'finish the enrolment started before: the code your app shows for the secret printed then')
    .addHelpText(
      'after',
      examples(
        'sophon auth 2fa enable',
        'sophon auth 2fa enable --json > enrolment.json',
        "printf '%s\\n' \"$SOPHON_PASSWORD\" | sophon auth 2fa enable --code 123456 --password-stdin",
        "printf '%s\\n' \"$SOPHON_PASSWORD\" | sophon auth 2fa enable --email jane@example.com --password-stdin",
      ),
    )
    .action(action(enable));
  signInOptions(
    twoFactor.command('disable').description('turn 2FA off (your current password required); your recovery codes stop working and your other sessions end'),
    'your current password (prefer the prompt or --password-stdin: flags show in the process list)',
    EMAIL_DESCRIPTION,
  )
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', examples('sophon auth 2fa disable', "printf '%s\\n' \"$SOPHON_PASSWORD\" | sophon auth 2fa disable --yes --password-stdin"))
    .action(action(disable));
  signInOptions(
    twoFactor.command('recovery-codes').description('replace your recovery codes (your current password required); prints the new ones once, and the old ones stop working'),
    'your current password (prefer the prompt or --password-stdin: flags show in the process list)',
    EMAIL_DESCRIPTION,
  )
    .addHelpText('after', examples('sophon auth 2fa recovery-codes', "printf '%s\\n' \"$SOPHON_PASSWORD\" | sophon auth 2fa recovery-codes --password-stdin --json"))
    .action(action(regenerateRecoveryCodes));
  return twoFactor;
}
