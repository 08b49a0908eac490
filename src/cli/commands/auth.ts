import { Command } from 'commander';
import { accessCommand } from './access-requests.ts';
import { hostname } from 'node:os';
import { action, examples } from '../action.ts';
import { durationArgument } from '../arguments.ts';
import type { CliContext } from '../context.ts';
import { endpoints } from '../endpoints.ts';
import { CliError, ExitCode, failedWith, usageError } from '../exit-codes.ts';
import { HttpClient } from '../http-client.ts';
import { note, printLine, printTable, renderDetails, type Column } from '../output.ts';
import { askSecret, confirm, isInteractive, nextStdinLine, obtain } from '../prompt.ts';
import { endSession, signIn, signInOptions, type SignInOptions } from '../sign-in.ts';
import { enrolDuringLogin, twoFactorCommand } from './two-factor.ts';

export interface TokenView {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export const tokenColumns: Column<TokenView>[] = [
  { header: 'ID', value: (token) => token.id },
  { header: 'NAME', value: (token) => token.name },
  { header: 'PREFIX', value: (token) => token.prefix },
  { header: 'CREATED', value: (token) => token.createdAt },
  { header: 'EXPIRES', value: (token) => token.expiresAt },
  { header: 'LAST USED', value: (token) => token.lastUsedAt },
  { header: 'STATUS', value: (token) => tokenStatus(token) },
];

function tokenStatus(token: TokenView): string {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) return 'expired';
  return 'active';
}

/** A new password from the flag, the terminal (typed twice) or the next stdin line. */
async function newPassword(flag: string | undefined, fromStdin: boolean): Promise<string | undefined> {
  if (flag) return flag;
  if (fromStdin) return nextStdinLine('new password', { optional: true });
  if (!isInteractive()) return undefined;
  const first = await askSecret('New password: ');
  const again = await askSecret('New password again: ');
  if (first !== again) throw usageError('the two new passwords differ.');
  if (!first) throw usageError('no new password given.');
  return first;
}

/**
 * The login's API token, named `sophon-cli@<hostname>`, or `… (2)`, `… (3)` when this user has
 * a token not revoked with that name already (names are unique per user: another machine's
 * login, or a credentials file lost); a name taken between the list and the create is retried.
 */
async function createLoginToken(session: HttpClient, expiresIn: string): Promise<{ body: { token: TokenView; secret: string } }> {
  const base = `sophon-cli@${hostname()}`.slice(0, 90);
  for (let attempt = 1; ; attempt++) {
    const tokens = (await session.send<{ items: TokenView[] }>(endpoints.listOwnTokens)).body.items;
    const taken = new Set(tokens.filter((token) => !token.revokedAt).map((token) => token.name.toLowerCase()));
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base} (${n})`;
    try {
      return await session.send<{ token: TokenView; secret: string }>(endpoints.createOwnToken, { body: { name, expiresIn } });
    } catch (error) {
      if (!failedWith(error, 'TOKEN_NAME_TAKEN') || attempt >= 3) throw error;
    }
  }
}

async function login(context: CliContext, _args: string[], options: SignInOptions & { newPassword?: string; expires: string }): Promise<void> {
  const signedIn = await signIn(context, options);
  const { session, body } = signedIn;
  let currentPassword = signedIn.password;
  try {
    if (body.mustChangePassword) {
      if (!options.newPassword && isInteractive()) note('This is a one-time password: choose your own now.');
      const replacement = await newPassword(options.newPassword, Boolean(options.passwordStdin) || (!options.password && !isInteractive()));
      if (!replacement) {
        throw new CliError(
          ExitCode.PermissionDenied,
          `the password of ${body.user.email} is a one-time password and must be changed first: run "sophon auth password --email ${body.user.email}", or log in again with --new-password.`,
          'PASSWORD_CHANGE_REQUIRED',
        );
      }
      await session.send(endpoints.changePassword, { body: { currentPassword, newPassword: replacement } });
      currentPassword = replacement;
    }
    const createToken = () => createLoginToken(session, options.expires);
    // Under Require 2FA the session may only enrol until 2FA is on; the server's refusal, not the login answer, decides.
    const created = await createToken().catch(async (error: unknown) => {
      if (!failedWith(error, 'TWO_FACTOR_ENROLLMENT_REQUIRED')) throw error;
      await enrolDuringLogin(context, session, body.user.email, currentPassword);
      return createToken();
    });
    const previous = context.credentials.get(context.url);
    context.credentials.save({
      url: context.url,
      token: created.body.secret,
      tokenId: created.body.token.id,
      tokenExpiresAt: created.body.token.expiresAt,
      userId: body.user.id,
      email: body.user.email,
      savedAt: new Date().toISOString(),
    });
    // The token this machine used before is no longer needed: revoke it with itself.
    if (previous && previous.tokenId !== created.body.token.id) {
      await new HttpClient(context.url, { kind: 'token', token: previous.token }).send(endpoints.deleteOwnToken, { params: { id: previous.tokenId } }).catch(() => undefined);
    }
    context.output({ user: body.user, token: created.body.token }, () => {
      printLine(`Logged in to ${context.url} as ${body.user.email}.`);
      printLine(`API token "${created.body.token.name}" stored in ${context.credentials.path} (expires ${created.body.token.expiresAt ?? 'never'}).`);
    });
  } finally {
    await endSession(session);
  }
}

async function changePassword(
  context: CliContext,
  _args: string[],
  options: SignInOptions & { currentPassword?: string; newPassword?: string; endOtherSessions?: boolean; revokeTokens?: boolean },
): Promise<void> {
  const useToken = options.email === undefined && context.client.credential.kind === 'token';
  let client = context.client;
  let current: string;
  let session: HttpClient | undefined;
  if (useToken) {
    current = options.passwordStdin ? await nextStdinLine('current password') : await obtain(options.currentPassword ?? options.password, 'Current password', { secret: true, flag: '--current-password <password>' });
  } else {
    const signedIn = await signIn(context, { ...options, password: options.currentPassword ?? options.password }, 'Current password');
    session = signedIn.session;
    client = signedIn.session;
    current = signedIn.password;
  }
  try {
    const replacement = await newPassword(options.newPassword, Boolean(options.passwordStdin) || (!options.currentPassword && !options.password && !isInteractive()));
    if (!replacement) throw usageError('give the new password with --new-password <password> (no terminal to ask on).');
    const answer = await client.send<{ endedSessions: number; revokedTokens?: number }>(endpoints.changePassword, {
      body: { currentPassword: current, newPassword: replacement, endOtherSessions: options.endOtherSessions, ...(options.revokeTokens ? { revokeTokens: true } : {}) },
    });
    context.output(answer.body, () =>
      printLine(options.revokeTokens ? `Password changed; ${answer.body.revokedTokens ?? 0} API token(s) of yours revoked${useToken ? ' (not the one this command used)' : ''}.` : 'Password changed.'),
    );
  } finally {
    if (session) await endSession(session);
  }
}

async function logout(context: CliContext): Promise<void> {
  const stored = context.credentials.get(context.url);
  if (!stored) {
    context.output({}, () => printLine(`Not logged in to ${context.url}; nothing to do.`));
    return;
  }
  // Revoke the token on the server; if it is already revoked or expired, forgetting it is enough.
  await new HttpClient(context.url, { kind: 'token', token: stored.token })
    .send(endpoints.deleteOwnToken, { params: { id: stored.tokenId } })
    .catch((error: unknown) => {
      if (error instanceof CliError && error.exitCode !== ExitCode.ServerError) return;
      throw error;
    });
  context.credentials.remove(context.url);
  context.output({}, () => printLine(`Logged out of ${context.url}: token revoked and removed from ${context.credentials.path}.`));
}

async function whoami(context: CliContext): Promise<void> {
  const me = await context.me();
  context.output(me, () => {
    printLine(
      renderDetails([
        ['User', `${me.user.displayName} <${me.user.email}>`],
        ['ID', me.user.id],
        ['Server', context.url],
        ['Signed in with', me.via === 'token' ? 'API token' : 'session'],
        ['Tenant', me.tenant?.slug],
        ['Role', me.tenant?.role],
        ['Permissions', me.tenant?.permissions],
      ]),
    );
    const others = me.tenants.filter((tenant) => tenant.tenantSlug !== me.tenant?.slug);
    if (others.length > 0) {
      printLine();
      printLine('Other tenants:');
      printTable(others, [
        { header: 'TENANT', value: (tenant) => tenant.tenantSlug },
        { header: 'ROLE', value: (tenant) => tenant.roleName },
      ]);
    }
  });
}

function printSecret(context: CliContext, answer: { token: TokenView; secret: string }, verb: string): void {
  context.output(answer, () => {
    printLine(`${verb} token "${answer.token.name}" (${answer.token.id}), expires ${answer.token.expiresAt ?? 'never'}.`);
    printLine('The secret is shown only this once:');
    printLine(answer.secret);
  });
}

function tokensCommand(): Command {
  const tokens = new Command('tokens').description('your own API tokens (for CI and integrations)');
  tokens
    .command('list')
    .description('list your API tokens')
    .addHelpText('after', examples('sophon auth tokens list'))
    .action(
      action(async (context) => {
        const answer = await context.call<{ items: TokenView[] }>(endpoints.listOwnTokens);
        context.output(answer, () => printTable(answer.items, tokenColumns, 'You have no API tokens.'));
      }),
    );
  tokens
    .command('create')
    .description('create an API token; its secret is printed once')
    .requiredOption('--name <name>', 'what the token is for')
    .option('--expires <duration>', 'lifetime: 90m, 12h, 30d, 365d (at most 1825d)', durationArgument, '90d')
    .addHelpText('after', examples('sophon auth tokens create --name ci-deploy --expires 365d'))
    .action(
      action<{ name: string; expires: string }>(async (context, _args, options) => {
        const answer = await context.call<{ token: TokenView; secret: string }>(endpoints.createOwnToken, { body: { name: options.name, expiresIn: options.expires } });
        printSecret(context, answer, 'Created');
      }),
    );
  tokens
    .command('rotate')
    .description('replace a token by a new secret with the same name and lifetime; the old one stops working')
    .argument('<token-id>', 'the token to rotate')
    .addHelpText('after', examples('sophon auth tokens rotate <token-id>'))
    .action(
      action(async (context, [tokenId]) => {
        const answer = await context.call<{ token: TokenView; secret: string }>(endpoints.rotateOwnToken, { params: { id: tokenId! } });
        printSecret(context, answer, 'Rotated: new');
      }),
    );
  tokens
    .command('delete')
    .description('revoke one of your tokens, immediately')
    .argument('<token-id>', 'the token to revoke')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', examples('sophon auth tokens delete <token-id> --yes'))
    .action(
      action<{ yes?: boolean }>(async (context, [tokenId], options) => {
        if (!(await confirm(`Revoke your API token ${tokenId}?`, options.yes))) return void note('Nothing done.');
        await context.call(endpoints.deleteOwnToken, { params: { id: tokenId! } });
        context.output({}, () => printLine(`Token ${tokenId} revoked.`));
      }),
    );
  return tokens;
}

export function authCommand(): Command {
  const auth = new Command('auth').description('log in and out, and manage your own password, two-factor authentication and API tokens');
  signInOptions(
    auth
      .command('login')
      .description(
        'log in with email and password (and 2FA code); stores an API token for this machine in a file only you can read. With no terminal, the password is read from standard input. When Require 2FA applies and 2FA is not set up, it offers to set it up at a terminal; without one it stops with exit code 3 (see "sophon auth 2fa enable").',
      ),
  )
    .option('--new-password <password>', 'when the password is a one-time password: the new one to set')
    .option('--expires <duration>', 'lifetime of the stored token', durationArgument, '30d')
    .addHelpText(
      'after',
      examples(
        'sophon auth login',
        'sophon --url https://sophon.example.com auth login --email admin@example.com',
        "printf '%s\\n' \"$SOPHON_PASSWORD\" | sophon auth login --email ci@example.com --totp 123456",
      ),
    )
    .action(action(login));
  signInOptions(
    auth
      .command('password')
      .description(
        'change your password; uses the stored login, or signs in with --email (needed while the password is a one-time password). Piped standard input gives the current, then the new password, one per line.',
      ),
    'your current password',
  )
    .option('--current-password <password>', 'your current password (same as --password)')
    .option('--new-password <password>', 'the new password (asked twice on a terminal)')
    .option('--end-other-sessions', 'also end your other sessions')
    .option('--revoke-tokens', 'also revoke your API tokens (but the stored login this command uses)')
    .addHelpText('after', examples('sophon auth password --email admin@sophon.local', "printf '%s\\n%s\\n' \"$OLD\" \"$NEW\" | sophon auth password --email admin@sophon.local --password-stdin"))
    .action(action(changePassword));
  auth
    .command('logout')
    .description('revoke the stored token and forget it')
    .addHelpText('after', examples('sophon auth logout'))
    .action(action(logout));
  auth
    .command('whoami')
    .description('who you are signed in as, your role and permissions in the tenant')
    .addHelpText('after', examples('sophon auth whoami', 'sophon auth whoami --tenant acme --json'))
    .action(action(whoami));
  auth.addCommand(tokensCommand());
  auth.addCommand(twoFactorCommand());
  auth.addCommand(accessCommand());
  return auth;
}
