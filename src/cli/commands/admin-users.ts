import { Command } from 'commander';
import { action, examples } from '../action.ts';
import { durationArgument, positiveIntegerArgument } from '../arguments.ts';
import type { CliContext } from '../context.ts';
import { endpoints, type Endpoint } from '../endpoints.ts';
import { usageError } from '../exit-codes.ts';
import { formatValue, note, printLine, printTable, renderDetails, type Column } from '../output.ts';
import { confirm } from '../prompt.ts';
import { tokenColumns, type TokenView } from './auth.ts';
import { addUserCsvCommands } from './admin-users-csv.ts';
import { addExplainCommand } from './admin-governance.ts';

export interface UserView {
  id: string;
  email: string;
  displayName: string;
  homeTenantId: string;
  homeTenant: string;
  status: 'active' | 'suspended';
  mustChangePassword: boolean;
  role: string | null;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  lastLoginIp: string | null;
  lastLoginUserAgent: string | null;
}

const userColumns: Column<UserView>[] = [
  { header: 'ID', value: (user) => user.id },
  { header: 'EMAIL', value: (user) => user.email },
  { header: 'NAME', value: (user) => user.displayName },
  { header: 'ROLE', value: (user) => user.role },
  { header: 'STATUS', value: (user) => user.status },
  { header: 'HOME TENANT', value: (user) => user.homeTenant },
  { header: 'LAST LOGIN', value: (user) => user.lastLoginAt },
];

function printUser(user: UserView): void {
  printLine(
    renderDetails([
      ['ID', user.id],
      ['Email', user.email],
      ['Name', user.displayName],
      ['Role (this tenant)', user.role],
      ['Status', user.status],
      ['Home tenant', user.homeTenant],
      ['Must change password', user.mustChangePassword ? 'yes' : 'no'],
      ['Created', user.createdAt],
      ['Last login', user.lastLoginAt ? `${formatValue(user.lastLoginAt)} from ${user.lastLoginIp ?? '?'} (${user.lastLoginUserAgent ?? 'unknown agent'})` : null],
    ]),
  );
}

/**
 * The user a command acts on (by id or email), and the tenant it acts in. A user is global, so
 * without --tenant the server says in which of your tenants you may see them; the command stays
 * in the acting tenant when they are there and you hold its permission there, else goes to the
 * first of theirs where you hold it, their home first (said on stderr). The permission is then
 * checked in that tenant before anything is sent; held nowhere, it is refused before any lookup.
 * With --tenant, or against a server too old to say, the user is looked for in the acting tenant.
 */
async function targetUser(context: CliContext, endpoint: Endpoint, reference: string): Promise<string> {
  const { permission } = endpoint;
  const me = await context.me();
  const holdsIn = (slug: string) => permission === undefined || me.tenants.some((tenant) => tenant.tenantSlug === slug && tenant.permissions.includes(permission));
  if (permission && !me.tenants.some((tenant) => tenant.permissions.includes(permission))) await context.authorize(permission);
  const located = context.options.tenant === undefined ? await context.locateUser(reference) : undefined;
  if (!located) {
    if (permission) await context.authorize(permission);
    return context.resolveUserId(reference);
  }
  const acting = me.tenant?.slug;
  const theirs = located.memberships.map((membership) => membership.tenantSlug);
  const chosen = theirs.find((slug) => slug === acting && holdsIn(slug)) ?? theirs.find(holdsIn) ?? (acting !== undefined && theirs.includes(acting) ? acting : theirs[0]!);
  if (chosen !== acting) {
    const where = located.memberships.find((membership) => membership.tenantSlug === chosen)?.home ? 'their home tenant' : 'where they are a member';
    note(`Acting in tenant "${chosen}", ${where} (${located.user.email}${acting === undefined || theirs.includes(acting) ? '' : ` has no role in "${acting}"`}).`);
    context.actIn(chosen);
  }
  if (permission) await context.authorize(permission);
  return located.user.id;
}

/** A user named by id or email, wherever you may see them: for an id, no question is asked. */
async function userIdOf(context: CliContext, reference: string): Promise<string> {
  if (!reference.includes('@')) return reference;
  return (await context.locateUser(reference))?.user.id ?? context.resolveUserId(reference);
}

/** The commands that take one user, call one endpoint and print the user it answers with. */
function userAction(endpoint: Endpoint, done: string) {
  return action(async (context, [reference]) => {
    const id = await targetUser(context, endpoint, reference!);
    const user = await context.call<UserView>(endpoint, { params: { id } });
    context.output(user, () => {
      printLine(`${done}: ${user.email} (${user.id}), status ${user.status}.`);
    });
  });
}

const USER_ARGUMENT = ['<user>', 'user id or email'] as const;

interface Activity {
  user: Omit<UserView, 'homeTenant' | 'role'>;
  lastLogin: { at: string; ip: string | null; userAgent: string | null } | null;
  sessions: Array<{ id: string; createdAt: string; lastSeenAt: string | null; expiresAt: string; ip: string | null; userAgent: string | null }>;
  tokens: TokenView[];
  /** The newest invitation, reset or account notice mailed to the user; null if none (or without ManageUsers). Absent from older servers. */
  lastMail?: MailDelivery | null;
  /** null when the caller may not read the audit log. */
  recentEvents: Array<{ occurredAt: string; category: string; action: string; outcome: string }> | null;
}

interface MailDelivery {
  messageId: string;
  kind: 'invitation' | 'password_reset' | 'account_created' | 'single_sign_on_notice';
  recipient: string;
  delivery: 'queued' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  sentAt: string | null;
}

const MAIL_KINDS: Record<MailDelivery['kind'], string> = { invitation: 'invitation', password_reset: 'password reset', account_created: 'account notice (no credential)', single_sign_on_notice: 'single sign-on notice (no credential)' };

/** One line: which mail, where it stands, and what to do when it can't reach the user. */
export function describeMailDelivery(mail: MailDelivery, user: string): string {
  const what = `${MAIL_KINDS[mail.kind] ?? mail.kind} to ${mail.recipient}`;
  const attempts = `${mail.attempts} attempt(s)`;
  const error = mail.lastError ? `; last error: ${mail.lastError}` : '';
  const handOver = mail.kind === 'account_created' || mail.kind === 'single_sign_on_notice' ? '' : ` Hand over a link yourself: sophon admin users one-time-link ${user}`;
  switch (mail.delivery) {
    case 'sent':
      return `${what}: sent ${formatValue(mail.sentAt)}`;
    case 'queued':
      return `${what}: queued, not sent yet (${attempts}${mail.nextAttemptAt ? `, next ${formatValue(mail.nextAttemptAt)}` : ''}${error}).${mail.attempts > 0 ? handOver : ''}`;
    case 'failed':
      return `${what}: FAILED after ${attempts}${error}.${handOver}`;
    case 'cancelled':
      return `${what}: cancelled, not sent${error ? ` (${mail.lastError})` : ''}`;
  }
}

function printActivity(activity: Activity): void {
  const { user, lastLogin } = activity;
  printLine(
    renderDetails([
      ['User', `${user.displayName} <${user.email}> (${user.id})`],
      ['Status', user.status],
      ['Last login', lastLogin ? `${formatValue(lastLogin.at)} from ${lastLogin.ip ?? '?'} (${lastLogin.userAgent ?? 'unknown agent'})` : 'never'],
      ...(activity.lastMail !== undefined ? [['Last mail', activity.lastMail ? describeMailDelivery(activity.lastMail, user.email) : 'none'] as [string, string]] : []),
    ]),
  );
  printLine();
  printLine(`Active sessions (${activity.sessions.length}):`);
  printTable(activity.sessions, [
    { header: 'ID', value: (session) => session.id },
    { header: 'CREATED', value: (session) => session.createdAt },
    { header: 'LAST SEEN', value: (session) => session.lastSeenAt },
    { header: 'IP', value: (session) => session.ip },
    { header: 'DEVICE', value: (session) => session.userAgent },
  ], '  (none)');
  printLine();
  printLine(`API tokens (${activity.tokens.length}):`);
  printTable(activity.tokens, tokenColumns, '  (none)');
  printLine();
  if (activity.recentEvents === null) {
    printLine('Recent actions: hidden (you need ViewAuditLogs in this tenant).');
    return;
  }
  printLine(`Recent actions (${activity.recentEvents.length}):`);
  printTable(activity.recentEvents, [
    { header: 'TIME', value: (event) => event.occurredAt },
    { header: 'CATEGORY', value: (event) => event.category },
    { header: 'ACTION', value: (event) => event.action },
    { header: 'OUTCOME', value: (event) => event.outcome },
  ], '  (none)');
}

interface OrphanItem {
  id: string;
  tenant: string;
  kind: string;
  name: string;
  previousOwnerId: string | null;
  orphanedAt: string | null;
}

/** Orphans in a tenant of yours that a command left alone, and why (see OrphanService). */
interface SkippedOrphans {
  tenant: string;
  count: number;
  reason: 'PERMISSION_MISSING' | 'RECIPIENT_NOT_MEMBER';
}

interface PurgeAnswer {
  dryRun: boolean;
  count: number;
  tenants: Array<{ tenant: string; count: number }>;
  skipped: SkippedOrphans[];
  items: OrphanItem[];
  itemsTruncated: boolean;
}

interface ReassignAnswer {
  reassigned: number;
  tenants: Array<{ tenant: string; reassigned: number }>;
  skipped: SkippedOrphans[];
  inOtherTenants: number;
}

const skippedBecause: Record<SkippedOrphans['reason'], string> = {
  PERMISSION_MISSING: 'skipped: you lack ManageUsers there',
  RECIPIENT_NOT_MEMBER: 'skipped: the new owner has no role there',
};

/** One line per tenant: what was done there, or why not. */
function printPerTenant(done: Array<{ tenant: string; count: number }>, verb: string, skipped: SkippedOrphans[]): void {
  const rows = [...done.map((entry) => ({ ...entry, outcome: verb })), ...skipped.map((entry) => ({ ...entry, outcome: skippedBecause[entry.reason] }))];
  if (rows.length === 0) return;
  printTable(rows, [
    { header: 'TENANT', value: (row) => row.tenant },
    { header: 'ORPHANS', value: (row) => row.count },
    { header: 'OUTCOME', value: (row) => row.outcome },
  ]);
}

async function purgeOrphans(context: CliContext, _args: string[], options: { olderThan: string; dryRun?: boolean; yes?: boolean }): Promise<void> {
  const preview = async () => context.call<PurgeAnswer>(endpoints.purgeOrphans, { body: { olderThan: options.olderThan, dryRun: true } });
  const show = (answer: PurgeAnswer, verb: string) =>
    context.output(answer, () => {
      printTable(answer.items, [
        { header: 'ID', value: (item) => item.id },
        { header: 'TENANT', value: (item) => item.tenant },
        { header: 'KIND', value: (item) => item.kind },
        { header: 'NAME', value: (item) => item.name },
        { header: 'PREVIOUS OWNER', value: (item) => item.previousOwnerId },
        { header: 'ORPHANED', value: (item) => item.orphanedAt },
      ], `No orphans older than ${options.olderThan}${answer.skipped.length > 0 ? ' in the tenants where you manage users' : ''}.`);
      if (answer.itemsTruncated) printLine(`(the first ${answer.items.length} of ${answer.count} listed)`);
      printLine();
      printPerTenant(answer.tenants, verb, answer.skipped);
      printLine(`${answer.count} orphaned resource(s) ${verb}.`);
    });
  if (options.dryRun) return show(await preview(), `would be purged (dry run, nothing deleted)`);
  if (!options.yes) {
    await context.authorize('ManageUsers');
    // On a terminal, say how many first; without one, confirm() refuses (a usage error) before anything is sent.
    const planned = process.stdin.isTTY ? await preview() : undefined;
    if (planned?.count === 0) return show(planned, 'purged');
    const perTenant = planned && planned.tenants.length > 1 ? ` (${planned.tenants.map((entry) => `${entry.count} in ${entry.tenant}`).join(', ')})` : '';
    const question = planned === undefined ? `Permanently delete the orphans older than ${options.olderThan}?` : `Permanently delete ${planned.count} orphaned resource(s) older than ${options.olderThan}${perTenant}?`;
    if (!(await confirm(question, options.yes))) return void note('Nothing deleted.');
  }
  show(await context.call<PurgeAnswer>(endpoints.purgeOrphans, { body: { olderThan: options.olderThan, dryRun: false } }), 'purged');
}

export function adminUsersCommand(): Command {
  const users = new Command('users').description('create, list, change, suspend and delete users; roles, tokens and orphaned data');

  users
    .command('create')
    .description('create a user with a one-time password (generated and printed once unless --password is given); they must change it at first login')
    .requiredOption('--email <email>', 'login identity, unique')
    .option('--name <display-name>', 'display name (default: the part of the email before @)')
    .option('--role <role>', 'role in the tenant (--tenant, else your home tenant): Admin, Operator, Viewer or a custom role', 'Viewer')
    .option('--password <password>', 'initial password instead of a generated one')
    .addHelpText('after', examples('sophon admin users create --email jane@example.com --name "Jane Doe" --role workflow-editor --tenant acme'))
    .action(
      action<{ email: string; name?: string; role: string; password?: string }>(async (context, _args, options) => {
        const answer = await context.call<{
          user: UserView;
          passwordExpiresAt?: string;
          oneTimePassword?: string;
          invitation?: { delivery: 'queued'; messageId: string; expiresAt: string };
          notice?: { delivery: 'queued'; messageId: string };
        }>(endpoints.createUser, {
          body: { email: options.email, displayName: options.name ?? options.email.split('@')[0], role: options.role, password: options.password },
        });
        context.output(answer, () => {
          printLine(`Created ${answer.user.email} (${answer.user.id}) with role ${answer.user.role} in tenant ${answer.user.homeTenant}.`);
          // Queued is not delivered: say so, and where to look.
          if (answer.invitation) {
            printLine(`Invitation queued for ${answer.user.email} (not sent yet); its link expires ${formatValue(answer.invitation.expiresAt)}.`);
            printLine(`See whether it went out: sophon admin users activity ${answer.user.id}`);
          }
          if (answer.notice) printLine(`A notice without the password is queued for ${answer.user.email}: hand the password over yourself.`);
          if (answer.oneTimePassword) printLine(`One-time password (shown only now; they must change it at first login): ${answer.oneTimePassword}`);
          if (answer.passwordExpiresAt && !answer.invitation) printLine(`The initial password stops working ${formatValue(answer.passwordExpiresAt)} if not changed.`);
        });
      }),
    );

  users
    .command('list')
    .description("list the tenant's users")
    .option('--search <text>', 'part of an email or name')
    .option('--limit <n>', 'at most this many (1-200)', positiveIntegerArgument)
    .option('--cursor <cursor>', 'continue after this point (printed when there are more)')
    .addHelpText('after', examples('sophon admin users list', 'sophon admin users list --tenant acme --search jane --json'))
    .action(
      action<{ search?: string; limit?: number; cursor?: string }>(async (context, _args, options) => {
        const page = await context.call<{ items: UserView[]; nextCursor: string | null }>(endpoints.listUsers, { query: { ...options } });
        context.output(page, () => {
          printTable(page.items, userColumns, 'No users.');
          if (page.nextCursor) note(`More: --cursor ${page.nextCursor}`);
        });
      }),
    );

  users
    .command('show')
    .description('one user: status, role in the tenant, last login')
    .argument(...USER_ARGUMENT)
    .addHelpText('after', examples('sophon admin users show jane@example.com'))
    .action(
      action(async (context, [reference]) => {
        const id = await targetUser(context, endpoints.getUser, reference!);
        const user = await context.call<UserView>(endpoints.getUser, { params: { id } });
        context.output(user, printUser);
      }),
    );

  users
    .command('update')
    .description("change a user's email or display name")
    .argument(...USER_ARGUMENT)
    .option('--email <email>', 'new email')
    .option('--name <display-name>', 'new display name')
    .addHelpText('after', examples('sophon admin users update jane@example.com --name "Jane Smith"'))
    .action(
      action<{ email?: string; name?: string }>(async (context, [reference], options) => {
        if (options.email === undefined && options.name === undefined) throw usageError('nothing to change: give --email and/or --name.');
        const id = await targetUser(context, endpoints.updateUser, reference!);
        const user = await context.call<UserView>(endpoints.updateUser, { params: { id }, body: { email: options.email, displayName: options.name } });
        context.output(user, printUser);
      }),
    );

  users
    .command('suspend')
    .description("suspend a user: they stay, but can't log in; their sessions end and tokens stop working at once")
    .argument(...USER_ARGUMENT)
    .addHelpText('after', examples('sophon admin users suspend jane@example.com'))
    .action(userAction(endpoints.suspendUser, 'Suspended'));

  users
    .command('reactivate')
    .description('re-activate a suspended user')
    .argument(...USER_ARGUMENT)
    .addHelpText('after', examples('sophon admin users reactivate jane@example.com'))
    .action(userAction(endpoints.reactivateUser, 'Re-activated'));

  users
    .command('delete')
    .description("delete a user permanently; their agents, workflows, memory and documents stay, orphaned (see reassign, purge-orphans)")
    .argument(...USER_ARGUMENT)
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', examples('sophon admin users delete jane@example.com --yes'))
    .action(
      action<{ yes?: boolean }>(async (context, [reference], options) => {
        const id = await targetUser(context, endpoints.deleteUser, reference!);
        if (!(await confirm(`Permanently delete user ${reference}?`, options.yes))) return void note('Nothing deleted.');
        const answer = await context.call<{ orphanedResources: number }>(endpoints.deleteUser, { params: { id } });
        context.output(answer, () => printLine(`Deleted ${reference}; ${answer.orphanedResources} resource(s) orphaned. Reassign them with: sophon admin users reassign --from ${id} --to <new-id>`));
      }),
    );

  users
    .command('logout')
    .description('end every session of the user at once (a role change applies from their next request); API tokens keep working unless --tokens')
    .argument('<user-id>', 'user id or email')
    .option('--tokens', 'also revoke every API token of the user')
    .addHelpText('after', examples('sophon admin users logout <user-id>', 'sophon admin users logout <user-id> --tokens'))
    .action(
      action<{ tokens?: boolean }>(async (context, [reference], options) => {
        const id = await targetUser(context, endpoints.logoutUser, reference!);
        const answer = await context.call<{ endedSessions: number; revokedTokens?: number }>(endpoints.logoutUser, { params: { id }, body: { revokeTokens: options.tokens === true } });
        context.output(answer, () =>
          printLine(
            options.tokens
              ? `Ended ${answer.endedSessions} session(s) and revoked ${answer.revokedTokens ?? 0} API token(s) of ${reference}.`
              : `Ended ${answer.endedSessions} session(s) of ${reference}; their API tokens keep working (add --tokens to revoke them).`,
          ),
        );
      }),
    );

  users
    .command('set-role')
    .description("set the user's role in the tenant (--tenant, else your home tenant), adding them to it if needed")
    .argument('<user-id>', 'user id or email')
    .requiredOption('--role <role>', 'Admin, Operator, Viewer (any case) or a custom role name')
    .option('--until <instant>', 'time-bound: the role ends at this ISO-8601 instant (2027-01-31T18:00Z); their permanent role applies again then')
    .option('--for <duration>', 'time-bound: the role ends after this long (90m, 8h, 2d)', durationArgument)
    .addHelpText(
      'after',
      examples(
        'sophon admin users set-role <user-id> --role workflow-editor',
        'sophon admin users set-role <user-id> --role admin --tenant acme',
        'sophon admin users set-role <user-id> --role Operator --tenant acme --for 8h',
        'sophon admin users set-role <user-id> --role Operator --until 2027-01-31T18:00Z',
      ),
    )
    .action(
      action<{ role: string; until?: string; for?: string }>(async (context, [reference], options) => {
        if (options.until !== undefined && options.for !== undefined) throw usageError('give --until or --for, not both');
        // The server takes an id or an email here, even for someone not yet in the tenant.
        const user = await context.call<UserView & { roleEndsAt?: string | null; thenRole?: string | null }>(endpoints.setUserRole, {
          params: { id: reference! },
          body: { role: options.role, until: options.until, duration: options.for },
        });
        const tenant = context.options.tenant ?? (await context.me()).tenant?.slug;
        const term = user.roleEndsAt ? ` until ${formatValue(user.roleEndsAt)}, then ${user.thenRole ?? 'their permanent role'} again` : '';
        context.output(user, () => printLine(`${user.email} (${user.id}) now has role ${user.role} in tenant ${tenant}${term}. It applies from their next request; to end their sessions now: sophon admin users logout ${user.id}`));
      }),
    );

  users
    .command('effective-permissions')
    .description("the user's role in each tenant and the flat, deduplicated list of permissions (tenants you may see users in)")
    .argument('<user-id>', 'user id or email')
    .addHelpText('after', examples('sophon admin users effective-permissions <user-id>'))
    .action(
      action(async (context, [reference]) => {
        const id = await targetUser(context, endpoints.effectivePermissions, reference!);
        const answer = await context.call<{ userId: string; tenants: Array<{ tenantSlug: string; roleName: string; permissions: string[] }>; permissions: string[]; hiddenTenants?: number }>(
          endpoints.effectivePermissions,
          { params: { id } },
        );
        context.output(answer, () => {
          printTable(answer.tenants, [
            { header: 'TENANT', value: (entry) => entry.tenantSlug },
            { header: 'ROLE', value: (entry) => entry.roleName },
            { header: 'PERMISSIONS', value: (entry) => entry.permissions },
          ], 'No role in any tenant you can see.');
          if (answer.hiddenTenants) printLine(`They also hold a role in ${answer.hiddenTenants} tenant(s) you can't see users in; those aren't listed or counted here.`);
          printLine();
          printLine(`Effective permissions (${answer.permissions.length}):`);
          for (const permission of answer.permissions) printLine(`  ${permission}`);
        });
      }),
    );

  users
    .command('reassign')
    .description("give a deleted user's orphaned agents, workflows, memory and documents to another user, in every tenant where you manage users and they have a role")
    .requiredOption('--from <old-id>', 'the former owner (id of the deleted user)')
    .requiredOption('--to <new-id>', 'the new owner (id or email)')
    .addHelpText('after', examples('sophon admin users reassign --from <old-id> --to <new-id>'))
    .action(
      action<{ from: string; to: string }>(async (context, _args, options) => {
        await context.authorize('ManageUsers');
        const [from, to] = [await context.resolveUserId(options.from), await userIdOf(context, options.to)];
        const answer = await context.call<ReassignAnswer>(endpoints.reassignOrphans, { body: { from, to } });
        context.output(answer, () => {
          printPerTenant(answer.tenants.map((entry) => ({ tenant: entry.tenant, count: entry.reassigned })), 'reassigned', answer.skipped);
          printLine(`Reassigned ${answer.reassigned} orphaned resource(s) from ${options.from} to ${options.to}.`);
          if (answer.skipped.some((entry) => entry.reason === 'RECIPIENT_NOT_MEMBER')) {
            printLine(`To move the rest, give ${options.to} a role there (sophon admin users set-role ${to} --role <role> --tenant <tenant>) and run this again.`);
          }
          if (answer.inOtherTenants > 0) printLine(`${answer.inOtherTenants} more in tenants where you have no role; not touched (their admins can reassign them).`);
        });
      }),
    );

  users
    .command('purge-orphans')
    .description('permanently delete the orphaned resources orphaned longer ago than --older-than, in every tenant where you manage users')
    .requiredOption('--older-than <duration>', 'age of orphans to delete: 90m, 12h, 30d…', durationArgument)
    .option('--dry-run', 'list what would be deleted; delete nothing')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', examples('sophon admin users purge-orphans --older-than 30d', 'sophon admin users purge-orphans --older-than 30d --dry-run', 'sophon admin users purge-orphans --older-than 30d --yes'))
    .action(action(purgeOrphans));

  users
    .command('reset-password')
    .description('reset a user\'s password: emails them a link, or prints a one-time link to hand over')
    .argument(...USER_ARGUMENT)
    .option('--revoke-tokens', 'also revoke their API tokens: now, and those made before the link is redeemed')
    .addHelpText('after', examples('sophon admin users reset-password jane@example.com', 'sophon admin users reset-password jane@example.com --revoke-tokens'))
    .action(
      action<{ revokeTokens?: boolean }>(async (context, [reference], options) => {
        const id = await targetUser(context, endpoints.resetPassword, reference!);
        const answer = await context.call<{ delivery: 'queued' | 'manual'; link?: string; expiresAt: string; revokedTokens?: number }>(endpoints.resetPassword, {
          params: { id },
          ...(options.revokeTokens ? { body: { revokeTokens: true } } : {}),
        });
        context.output(answer, () => {
          if (options.revokeTokens) printLine(`Revoked ${answer.revokedTokens ?? 0} API token(s) of ${reference}; redeeming the link revokes any made meanwhile.`);
          if (answer.delivery === 'queued') printLine(`Password reset mail queued for ${reference} (not sent yet); its link expires ${formatValue(answer.expiresAt)}. See whether it went out: sophon admin users activity ${reference}`);
          else printLine(`One-time reset link for ${reference} (hand it over yourself; expires ${formatValue(answer.expiresAt)}):\n${answer.link ?? '-'}`);
        });
      }),
    );

  users
    .command('one-time-link')
    .description(
      "print a fresh one-time link to hand over yourself, when a mail can't reach the user (see activity): their unused links, queued invitation and reset mails and unused initial password stop working",
    )
    .argument(...USER_ARGUMENT)
    .addHelpText('after', examples('sophon admin users one-time-link jane@example.com'))
    .action(
      action(async (context, [reference]) => {
        const id = await targetUser(context, endpoints.handOverLink, reference!);
        const answer = await context.call<{ purpose: 'invitation' | 'password_reset'; link: string; expiresAt: string; cancelledMessages: string[]; initialPasswordRetired: boolean }>(
          endpoints.handOverLink,
          { params: { id }, body: { deliver: 'manual' } },
        );
        context.output(answer, () => {
          printLine(`One-time ${answer.purpose === 'invitation' ? 'invitation' : 'reset'} link for ${reference} (shown only now; hand it over yourself; expires ${formatValue(answer.expiresAt)}):`);
          printLine(answer.link);
          if (answer.cancelledMessages.length > 0) printLine(`Withdrawn unsent: ${answer.cancelledMessages.length} queued mail(s); their links no longer work.`);
          if (answer.initialPasswordRetired) printLine('An initial password they had not used yet no longer works.');
        });
      }),
    );

  users
    .command('reset-2fa')
    .description('remove a user\'s 2FA (lost device); they enroll again at their next login')
    .argument(...USER_ARGUMENT)
    .addHelpText('after', examples('sophon admin users reset-2fa jane@example.com'))
    .action(
      action(async (context, [reference]) => {
        const id = await targetUser(context, endpoints.resetTwoFactor, reference!);
        const answer = await context.call<{ wasEnabled: boolean; reenrolmentRequired?: boolean }>(endpoints.resetTwoFactor, { params: { id } });
        context.output(answer, () =>
          printLine(answer.reenrolmentRequired === false ? `${reference} had no 2FA; nothing changed.` : `2FA reset for ${reference}; they must enroll again (at their next login, or their next request) before doing anything else.`),
        );
      }),
    );

  users
    .command('move')
    .description('move a user to another home tenant; their resources in the current tenant follow')
    .argument(...USER_ARGUMENT)
    .requiredOption('--to <tenant>', 'the destination tenant (slug or id)')
    .option('--role <role>', 'their role in the destination tenant (default: the role they already hold there, else Viewer)')
    .option('--dry-run', 'run every check and show the role they would hold in each tenant, without moving them')
    .addHelpText('after', examples('sophon admin users move jane@example.com --to acme --dry-run', 'sophon admin users move jane@example.com --to acme --role workflow-editor'))
    .action(
      action<{ to: string; role?: string; dryRun?: boolean }>(async (context, [reference], options) => {
        const id = await targetUser(context, endpoints.moveUser, reference!);
        type Moved = UserView & { movedResources: number; dryRun: boolean; roles: { tenant: string; before: string | null; after: string | null }[] };
        const answer = await context.call<Moved>(endpoints.moveUser, { params: { id }, body: { tenant: options.to, role: options.role, dryRun: options.dryRun === true } });
        context.output(answer, () => {
          printLine(
            answer.dryRun
              ? `Would move ${answer.email} to tenant ${options.to}; ${answer.movedResources} resource(s) would move with them. Nothing was changed.`
              : `Moved ${answer.email} to tenant ${options.to}; ${answer.movedResources} resource(s) moved with them.`,
          );
          printTable(answer.roles, [
            { header: 'TENANT', value: (entry) => entry.tenant },
            { header: 'ROLE BEFORE', value: (entry) => entry.before ?? '(none)' },
            { header: answer.dryRun ? 'ROLE AFTER' : 'ROLE NOW', value: (entry) => `${entry.after ?? '(none)'}${entry.before !== entry.after ? '  (changes)' : ''}` },
          ], 'No role in any tenant you can see.');
        });
      }),
    );

  users
    .command('activity')
    .description("a user's account activity: last login, delivery of the last invitation or reset mail, active sessions, API tokens and recent actions")
    .argument(...USER_ARGUMENT)
    .addHelpText('after', examples('sophon admin users activity jane@example.com'))
    .action(
      action(async (context, [reference]) => {
        const id = await targetUser(context, endpoints.userActivity, reference!);
        const answer = await context.call<Activity>(endpoints.userActivity, { params: { id } });
        context.output(answer, printActivity);
      }),
    );

  addUserCsvCommands(users);
  addExplainCommand(users);

  return users;
}
