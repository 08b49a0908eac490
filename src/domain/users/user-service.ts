import type { AccessService, TenantPermissions } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { diffOf } from '../audit/audit-event.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Permission } from '../permissions.ts';
import type { Role } from '../roles/role.ts';
import { loadVisible, resolveRole, userNotFound, type AccessGuards } from '../access/guards.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import type { TenantService } from '../tenants/tenant-service.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { checkPasswordPolicy, generatePassword, hashOneTimePassword, hashPassword } from './passwords.ts';
import { checkDisplayName, checkEmail, normalizeEmail, publicUser, type StoredUser, type User, type UserStatus } from './user.ts';
import type { OneTimeLinkService } from './one-time-link-service.ts';
import type { LinkDelivery } from './one-time-link.ts';
import { accountCreatedMessage, invitationMessage, passwordResetMessage } from '../mail/messages.ts';
import { fail } from '../error-catalogue.ts';

/** The seed's CSV columns, shared by the API, the CLI and CSV import. */
export interface CreateUserInput {
  email: string;
  displayName: string;
  role?: string;
  tenant?: string;
  password?: string;
}

/** A new user whose fields, password and tenant have been checked. */
export interface PreparedUser {
  email: string;
  displayName: string;
  role: string;
  tenant: Tenant;
  /** As the admin gave it; undefined when one is to be generated. */
  password: string | undefined;
}

/** A prepared user with the initial password settled and hashed. */
export interface HashedUser extends PreparedUser {
  initialPassword: string;
  passwordHash: string;
}

export interface InsertedUser {
  created: StoredUser;
  invitation: CreatedUser['invitation'];
  notice: CreatedUser['notice'];
  tenantId: string;
}

/**
 * Settles each user's initial password (given or generated) and hashes them, a few at a time:
 * a password the admin chose with argon2id, a generated one-time password with SHA-256 (see
 * hashOneTimePassword: ~110 random bits need no slow hash).
 */
export async function hashPrepared(prepared: PreparedUser[]): Promise<HashedUser[]> {
  const hashed: HashedUser[] = [];
  // Argon2 runs on libuv's four worker threads: more at once only queues.
  for (let start = 0; start < prepared.length; start += 4) {
    hashed.push(
      ...(await Promise.all(
        prepared.slice(start, start + 4).map(async (user) => {
          if (user.password === undefined) {
            const initialPassword = generatePassword();
            return { ...user, initialPassword, passwordHash: hashOneTimePassword(initialPassword) };
          }
          return { ...user, initialPassword: user.password, passwordHash: await hashPassword(user.password) };
        }),
      )),
    );
  }
  return hashed;
}

export interface CreatedUser {
  user: UserView;
  /** When the initial password stops working if not changed. */
  passwordExpiresAt: string;
  /** Only without SMTP and when the admin gave no password: shown this once. */
  oneTimePassword?: string;
  /**
   * With SMTP and no password given: the invitation, whose link is the one first-login
   * credential. `queued` means written to the outbox, not delivered: GET /users/:id/activity
   * tells when it is sent, or why not yet.
   */
  invitation?: { delivery: 'queued'; messageId: string; expiresAt: string };
  /** With SMTP and a password the admin typed: a notice without any credential (the admin hands the password over). */
  notice?: { delivery: 'queued'; messageId: string };
}

/** What a move did (or, as a dry run, would do): the user's role in each tenant before and after. */
export type MovedUser = UserView & {
  movedResources: number;
  roles: { tenant: string; before: string | null; after: string | null }[];
  dryRun: boolean;
};

/** Carries a dry run's answer out of the transaction it rolls back. */
class DryRunRollback extends Error {
  readonly result: unknown;
  constructor(result: unknown) {
    super('dry run');
    this.result = result;
  }
}

/** GET /api/v1/users: the page, and the filters that narrow it (all of them at once). */
export interface UserListInput {
  /** Part of the email or display name, any case. */
  search?: string;
  cursor?: string;
  limit?: number;
  /** A role's name (any case) or id, visible in the tenant. */
  role?: string;
  status?: UserStatus;
  twoFactor?: 'enrolled' | 'not_enrolled';
  sso?: 'linked' | 'not_linked';
  /** ISO instants; a user who never signed in matches neither. */
  lastSignInBefore?: string;
  lastSignInAfter?: string;
  /** The slug of the users' home tenant. */
  homeTenant?: string;
}

export interface UserView extends User {
  homeTenant: string;
  /** The user's role in the tenant the request acts in. */
  role: string | null;
}

/** A row of GET /api/v1/users: the user as the API shows them, with the list's 2FA and SSO columns (read in the page's one statement). */
export interface UserListItem extends UserView {
  /** Two-factor authentication enabled (an enrolment never confirmed is not). */
  twoFactorEnabled: boolean;
  /** At least one identity-provider account signs in as them. */
  ssoLinked: boolean;
}

export class UserService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #tenants: TenantService;
  readonly #links: OneTimeLinkService;
  readonly #guards: AccessGuards;

  constructor(context: DomainContext, access: AccessService, guards: AccessGuards, tenants: TenantService, links: OneTimeLinkService) {
    this.#context = context;
    this.#access = access;
    this.#guards = guards;
    this.#tenants = tenants;
    this.#links = links;
  }

  /**
   * Creates a user who must change their password at first login. With SMTP configured,
   * an invitation mail with a one-time link goes through the outbox in the same
   * transaction; without it, a generated password is returned to the admin once.
   */
  async create(actor: Actor, input: CreateUserInput): Promise<CreatedUser> {
    const prepared = await this.prepareCreate(actor, input);
    const [hashed] = await hashPrepared([prepared]);
    const result = await this.#context.store.transaction(async (store) => {
      const role = await this.checkCreatable(store, actor, prepared);
      return this.insertPrepared(store, actor, hashed!, role);
    });
    return this.answerFor(result, hashed!);
  }

  /**
   * The checks of a new user that need no transaction (fields, password policy, the tenant
   * and ManageUsers in it); throws a DomainError naming what is wrong.
   */
  async prepareCreate(actor: Actor, input: CreateUserInput, store: Store = this.#context.store): Promise<PreparedUser> {
    const email = checkEmail(input.email);
    const displayName = checkDisplayName(input.displayName);
    if (input.password !== undefined) checkPasswordPolicy(input.password, this.#context.settings.passwordMinLength, { email });
    const tenant = input.tenant ? await this.#tenants.getVisible(actor, input.tenant, store) : await store.tenants.getById(actor.tenantId);
    if (!tenant) throw fail('TENANT_NOT_FOUND', { tenant: actor.tenantId });
    await this.#access.require(actor, 'ManageUsers', tenant.id);
    return { email, displayName, role: input.role ?? 'Viewer', tenant, password: input.password };
  }

  /** The checks that must hold at the moment of insertion, inside its transaction; returns the role to assign. */
  async checkCreatable(store: Store, actor: Actor, prepared: PreparedUser): Promise<Role> {
    const role = await this.#guards.mayCreateUser(store, actor, prepared.tenant, prepared.role);
    if (await store.users.getByEmail(normalizeEmail(prepared.email))) {
      throw fail('EMAIL_TAKEN', { email: prepared.email });
    }
    return role;
  }

  /** Writes a checked user, their role, their invitation mail and the audit events, in the caller's transaction. */
  async insertPrepared(store: Store, actor: Actor, prepared: HashedUser, role: Role, via?: string): Promise<InsertedUser> {
    const { mailEnabled, initialPasswordLifetime } = this.#context.settings;
    const { email, displayName, tenant } = prepared;
    const now = this.#context.clock.now();
    const created: StoredUser = {
      id: newId(),
      email,
      displayName,
      homeTenantId: tenant.id,
      status: 'active',
      mustChangePassword: true,
      passwordHash: prepared.passwordHash,
      passwordExpiresAt: new Date(now.getTime() + initialPasswordLifetime).toISOString(),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      lastLoginAt: null,
      lastLoginIp: null,
      lastLoginUserAgent: null,
    };
    await store.users.create(created);
    await store.assignments.set({ userId: created.id, tenantId: tenant.id, roleId: role.id, assignedAt: created.createdAt, assignedBy: actor.userId });
    // One first-login credential, never two: the invitation link when nobody chose a password,
    // else the admin's password, announced by a notice that holds none.
    let invitation: CreatedUser['invitation'];
    let notice: CreatedUser['notice'];
    const mailed = { tenantId: tenant.id, userId: created.id, recipient: email, now, displayName, tenantName: tenant.name, publicUrl: this.#context.settings.publicUrl };
    if (mailEnabled && prepared.password === undefined) {
      const link = await this.#links.issueForMail(store, created.id, 'invitation', actor.userId);
      const mail = invitationMessage({ ...mailed, link });
      await store.mail.enqueue(mail);
      invitation = { delivery: 'queued', messageId: mail.id, expiresAt: link.expiresAt };
    } else if (mailEnabled) {
      const mail = accountCreatedMessage({ ...mailed, passwordExpiresAt: created.passwordExpiresAt! });
      await store.mail.enqueue(mail);
      notice = { delivery: 'queued', messageId: mail.id };
    }
    await recordAudit(this.#context, store, actor, {
      tenantId: tenant.id,
      category: 'users',
      action: 'user.created',
      subjectType: 'user',
      subjectId: created.id,
      diff: { before: null, after: { email, displayName, role: role.name, tenant: tenant.slug } },
      detail: { passwordGenerated: prepared.password === undefined, mailQueued: invitation ? 'invitation' : notice ? 'account_created' : null, ...(via ? { via } : {}) },
    });
    await recordAudit(this.#context, store, actor, {
      tenantId: tenant.id,
      category: 'rbac',
      action: 'role.assigned',
      subjectType: 'user',
      subjectId: created.id,
      diff: { before: null, after: { role: role.name } },
    });
    return { created, invitation, notice, tenantId: tenant.id };
  }

  /** What the admin gets back for a created user, the one-time password included when it is theirs to pass on. */
  async answerFor(result: InsertedUser, prepared: HashedUser): Promise<CreatedUser> {
    const user = await this.#view(result.created, result.tenantId);
    const answer: CreatedUser = { user, passwordExpiresAt: result.created.passwordExpiresAt! };
    if (result.invitation) answer.invitation = result.invitation;
    else if (result.notice) answer.notice = result.notice;
    // Shown once, only when nobody else can deliver it: no mail, and the admin didn't choose it.
    else if (prepared.password === undefined) answer.oneTimePassword = prepared.initialPassword;
    return answer;
  }

  /**
   * Starts a password reset: a one-time link, mailed through the outbox when SMTP is
   * configured, else returned to the admin once. Redeeming it ends every session. API tokens
   * keep working unless `revokeTokens`: then they are revoked now, and the link revokes those
   * created meanwhile when it is redeemed (docs/security.md).
   */
  async resetPassword(actor: Actor, userId: string, options: { revokeTokens?: boolean } = {}): Promise<LinkDelivery & { revokedTokens?: number }> {
    const linkOptions = { revokeTokens: options.revokeTokens === true };
    return this.#context.store.transaction(async (store) => {
      const user = await this.loadForAccountChange(actor, userId, store);
      // Mailed: queued in the outbox, the link getting its token only as it is sent. Else shown to the admin once.
      let answer: LinkDelivery;
      if (this.#context.settings.mailEnabled) {
        const link = await this.#links.issueForMail(store, user.id, 'password_reset', actor.userId, linkOptions);
        const mail = passwordResetMessage({ tenantId: user.homeTenantId, userId: user.id, recipient: user.email, now: this.#context.clock.now(), displayName: user.displayName, link });
        await store.mail.enqueue(mail);
        answer = { delivery: 'queued', messageId: mail.id, expiresAt: link.expiresAt };
      } else {
        const link = await this.#links.issue(store, user.id, 'password_reset', actor.userId, linkOptions);
        answer = { delivery: 'manual', link: link.url, expiresAt: link.expiresAt };
      }
      const revokedTokens = linkOptions.revokeTokens ? await store.tokens.revokeAllForUser(user.id, this.#context.clock.now().toISOString()) : 0;
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: 'password_reset.requested',
        subjectType: 'user',
        subjectId: user.id,
        detail: { delivery: answer.delivery, expiresAt: answer.expiresAt, revokeTokens: linkOptions.revokeTokens, revokedTokens },
      });
      return linkOptions.revokeTokens ? { ...answer, revokedTokens } : answer;
    });
  }

  /**
   * Moves a user's home to another tenant: the agents, workflows, memory and documents they own
   * move with them in the same transaction, so nothing of theirs stays readable in the old
   * tenant, and their home membership moves too. A role they already hold in the destination is
   * kept unless another is asked for; otherwise their home role follows when it can live there
   * (built-in or global), else Viewer. `dryRun` runs every check and answers the same plan
   * without writing anything: the role in each tenant before and after, and what would move.
   */
  async move(actor: Actor, userId: string, input: { tenant: string; role?: string; dryRun?: boolean }): Promise<MovedUser> {
    const target = await this.#tenants.getVisible(actor, input.tenant);
    try {
      const moved = await this.#context.store.transaction(async (store) => {
        const { user, role, keptExisting, homeAssignment, existing } = await this.#guards.mayMoveUser(store, actor, userId, target, input.role);
        const [homeRole, existingRole, from] = await Promise.all([
          homeAssignment ? store.roles.getById(homeAssignment.roleId) : undefined,
          existing ? store.roles.getById(existing.roleId) : undefined,
          store.tenants.getById(user.homeTenantId),
        ]);
        const now = this.#context.clock.now().toISOString();
        const movedResources = await store.resources.moveOwned(user.id, user.homeTenantId, target.id, now);
        await store.assignments.remove(user.homeTenantId, user.id);
        if (!keptExisting) await store.assignments.set({ userId: user.id, tenantId: target.id, roleId: role.id, assignedAt: now, assignedBy: actor.userId });
        await store.users.update(user.id, { homeTenantId: target.id, updatedAt: now });
        const roles: MovedUser['roles'] = [
          { tenant: from?.slug ?? user.homeTenantId, before: homeRole?.name ?? null, after: null },
          { tenant: target.slug, before: existingRole?.name ?? null, after: role.name },
        ];
        for (const tenantId of new Set([user.homeTenantId, target.id])) {
          await recordAudit(this.#context, store, actor, {
            tenantId,
            category: 'users',
            action: 'user.moved',
            subjectType: 'user',
            subjectId: user.id,
            diff: { before: { tenant: from?.slug ?? user.homeTenantId, role: homeRole?.name ?? null }, after: { tenant: target.slug, role: role.name } },
            detail: { movedResources, roles },
          });
        }
        if (!keptExisting) {
          await recordAudit(this.#context, store, actor, {
            tenantId: target.id,
            category: 'rbac',
            action: 'role.assigned',
            subjectType: 'user',
            subjectId: user.id,
            diff: { before: existingRole ? { role: existingRole.name } : null, after: { role: role.name } },
            detail: { reason: 'moved between tenants' },
          });
        }
        const result = { user: { ...user, homeTenantId: target.id, updatedAt: now }, movedResources, roles };
        // A preview answers exactly what the move would do, then takes all of it back.
        if (input.dryRun) throw new DryRunRollback(result);
        return result;
      });
      return { ...(await this.#view(moved.user, target.id)), movedResources: moved.movedResources, roles: moved.roles, dryRun: false };
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
      const preview = error.result as { user: StoredUser; movedResources: number; roles: MovedUser['roles'] };
      const current = await this.#context.store.users.getById(preview.user.id);
      return { ...(await this.#view(current ?? preview.user, actor.tenantId)), movedResources: preview.movedResources, roles: preview.roles, dryRun: true };
    }
  }

  async get(actor: Actor, userId: string): Promise<UserView> {
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    return this.#view(await this.loadVisible(actor, userId), actor.tenantId);
  }

  /**
   * A page of the tenant's users, in id order, filtered; a constant number of statements
   * whatever the page size (the role and home tenant come with each row).
   */
  async list(actor: Actor, query: UserListInput): Promise<{ items: UserListItem[]; nextCursor: string | null }> {
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const { store } = this.#context;
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    let roleId: string | undefined;
    if (query.role !== undefined) {
      try {
        roleId = (await resolveRole(store, actor.tenantId, query.role)).id;
      } catch (error) {
        if (!(error instanceof DomainError) || error.code !== 'ROLE_NOT_FOUND') throw error;
        const message = `no role "${query.role}" exists in this tenant (give a role's name or id)`;
        throw fail('VALIDATION_FAILED', { problems: `role: ${message}` }, { problems: [{ field: 'role', message }] });
      }
    }
    const members = await store.users.listMembers(actor.tenantId, {
      search: query.search,
      after: query.cursor,
      limit: limit + 1,
      roleId,
      status: query.status,
      twoFactorEnrolled: query.twoFactor === undefined ? undefined : query.twoFactor === 'enrolled',
      ssoLinked: query.sso === undefined ? undefined : query.sso === 'linked',
      lastSignInBefore: query.lastSignInBefore,
      lastSignInAfter: query.lastSignInAfter,
      homeTenantSlug: query.homeTenant,
    });
    const page = members.slice(0, limit);
    const items = page.map((member) => ({
      ...publicUser(member.user),
      homeTenant: member.homeTenantSlug,
      role: member.role.name,
      twoFactorEnabled: member.twoFactorEnabled,
      ssoLinked: member.ssoLinked,
    }));
    return { items, nextCursor: members.length > limit ? (page.at(-1)?.user.id ?? null) : null };
  }

  async update(actor: Actor, userId: string, changes: { email?: string; displayName?: string }): Promise<UserView> {
    const email = changes.email === undefined ? undefined : checkEmail(changes.email);
    const displayName = changes.displayName === undefined ? undefined : checkDisplayName(changes.displayName);
    const updated = await this.#context.store.transaction(async (store) => {
      const user = await this.loadForAccountChange(actor, userId, store);
      if (email !== undefined && normalizeEmail(email) !== normalizeEmail(user.email)) {
        if (await store.users.getByEmail(normalizeEmail(email))) throw fail('EMAIL_TAKEN', { email });
      }
      const next = { ...user, email: email ?? user.email, displayName: displayName ?? user.displayName, updatedAt: this.#context.clock.now().toISOString() };
      await store.users.update(user.id, { email: next.email, displayName: next.displayName, updatedAt: next.updatedAt });
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: 'user.updated',
        subjectType: 'user',
        subjectId: user.id,
        diff: diffOf({ email: user.email, displayName: user.displayName }, { email: next.email, displayName: next.displayName }),
      });
      return next;
    });
    return this.#view(updated, actor.tenantId);
  }

  /** Suspended users keep their data but can't log in; their open sessions end now, their tokens stop working. */
  async suspend(actor: Actor, userId: string): Promise<UserView> {
    return this.#setStatus(actor, userId, 'suspended');
  }

  async reactivate(actor: Actor, userId: string): Promise<UserView> {
    return this.#setStatus(actor, userId, 'active');
  }

  /** Permanent. The user's agents, workflows, memory and documents stay, with no owner. */
  async delete(actor: Actor, userId: string): Promise<{ orphanedResources: number }> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.#guards.mayDeleteUser(store, actor, userId);
      const now = this.#context.clock.now().toISOString();
      const memberships = await store.assignments.listForUser(user.id);
      const roles = new Map((await Promise.all(memberships.map((membership) => store.roles.getById(membership.roleId)))).flatMap((role) => (role ? [[role.id, role]] : [])));
      const orphaned = await store.resources.orphanAllOf(user.id, now);
      await store.sessions.endAllForUser(user.id, now, 'user deleted');
      await store.users.delete(user.id);
      // Every tenant the user belonged to gets the event in its own trail, with the role they lost there.
      for (const membership of memberships) {
        await recordAudit(this.#context, store, actor, {
          tenantId: membership.tenantId,
          category: 'users',
          action: 'user.deleted',
          subjectType: 'user',
          subjectId: user.id,
          diff: { before: { email: user.email, displayName: user.displayName, status: user.status, role: roles.get(membership.roleId)?.name ?? null }, after: null },
          detail: { orphanedResources: orphaned, homeTenant: membership.tenantId === user.homeTenantId },
        });
      }
      return { orphanedResources: orphaned };
    });
  }

  /** Sets the user's one role in the tenant the request acts in, adding them to it if they weren't a member. */
  async setRole(actor: Actor, userReference: string, roleReference: string): Promise<UserView> {
    const tenantId = actor.tenantId;
    const user = await this.#context.store.transaction(async (store) => {
      const { user, role, current } = await this.#guards.mayAssignRole(store, actor, userReference, roleReference, tenantId);
      const now = this.#context.clock.now().toISOString();
      await store.assignments.set({ userId: user.id, tenantId, roleId: role.id, assignedAt: now, assignedBy: actor.userId });
      const previous = current ? await store.roles.getById(current.roleId) : undefined;
      await recordAudit(this.#context, store, actor, {
        category: 'rbac',
        action: 'role.assigned',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: previous ? { role: previous.name } : null, after: { role: role.name } },
      });
      return user;
    });
    return this.#view(user, tenantId);
  }

  /** Removes the user's role in the tenant the request acts in; their home tenant membership can't be removed. */
  async removeFromTenant(actor: Actor, userId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      const { user, current } = await this.#guards.mayRemoveMembership(store, actor, userId, actor.tenantId);
      const role = current ? await store.roles.getById(current.roleId) : undefined;
      await store.assignments.remove(actor.tenantId, user.id);
      await recordAudit(this.#context, store, actor, {
        category: 'rbac',
        action: 'role.unassigned',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { role: role?.name ?? null }, after: null },
      });
    });
  }

  /**
   * The user's role and permissions per tenant and the flat deduplicated list. Only the
   * tenants where the caller may see users are shown, so no other tenant's set leaks; how many
   * were left out is said (`hiddenTenants`), so the answer is never silently incomplete.
   */
  async effectivePermissions(actor: Actor, userId: string): Promise<{ userId: string; tenants: TenantPermissions[]; permissions: Permission[]; hiddenTenants: number }> {
    if (userId !== actor.userId) await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const user = userId === actor.userId ? await this.#context.store.users.getById(userId) : await this.loadVisible(actor, userId);
    if (!user) throw userNotFound(userId);
    // The caller's own memberships are read at once, like the user's: one statement each, however
    // many tenants the user belongs to (not a ViewUsers check per tenant). ViewUsers is held
    // per tenant, never installation-wide, so the listed permissions decide it as holds() would.
    const [all, own] = await Promise.all([this.#access.effectivePermissions(user.id), user.id === actor.userId ? undefined : this.#access.effectivePermissions(actor.userId)]);
    const viewable = own && new Set(own.tenants.filter((entry) => entry.permissions.includes('ViewUsers')).map((entry) => entry.tenantId));
    const tenants = all.tenants.filter((entry) => !viewable || viewable.has(entry.tenantId));
    const permissions = [...new Set(tenants.flatMap((entry) => entry.permissions))].sort();
    return { userId: user.id, tenants, permissions, hiddenTenants: all.tenants.length - tenants.length };
  }

  /** A user who belongs to the tenant the request acts in; anyone else is "not found". */
  async loadVisible(actor: Actor, userId: string, store: Store = this.#context.store): Promise<StoredUser> {
    return loadVisible(store, actor, userId);
  }

  /** A user whose account the actor may read and act on (see AccessGuards.mayReadAccount). */
  async loadManageable(actor: Actor, userId: string, store: Store = this.#context.store): Promise<StoredUser> {
    return this.#guards.mayReadAccount(store, actor, userId);
  }

  /** A user whose account (credentials, status, sessions, identity) the actor is about to change (AccessGuards.mayManageAccount). */
  async loadForAccountChange(actor: Actor, userId: string, store: Store = this.#context.store): Promise<StoredUser> {
    return this.#guards.mayManageAccount(store, actor, userId);
  }

  async #setStatus(actor: Actor, userId: string, status: 'active' | 'suspended'): Promise<UserView> {
    const user = await this.#context.store.transaction(async (store) => {
      const user = await this.#guards.maySetStatus(store, actor, userId, status);
      if (user.status === status) return user;
      const now = this.#context.clock.now().toISOString();
      await store.users.update(user.id, { status, updatedAt: now });
      const endedSessions = status === 'suspended' ? await store.sessions.endAllForUser(user.id, now, 'user suspended') : 0;
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: status === 'suspended' ? 'user.suspended' : 'user.reactivated',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { status: user.status }, after: { status } },
        detail: status === 'suspended' ? { endedSessions } : null,
      });
      return { ...user, status, updatedAt: now };
    });
    return this.#view(user, actor.tenantId);
  }

  /** The user as the API shows them in the tenant (a list's rows come with these already: see list). */
  async #view(user: StoredUser | User, tenantId: string): Promise<UserView> {
    const { store } = this.#context;
    const [home, role] = await Promise.all([store.tenants.getById(user.homeTenantId), this.#access.roleIn(user.id, tenantId)]);
    return { ...publicUser(user), homeTenant: home?.slug ?? user.homeTenantId, role: role?.name ?? null };
  }
}

export { userNotFound };
