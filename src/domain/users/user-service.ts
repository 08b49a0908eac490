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
import { checkPasswordPolicy } from './passwords.ts';
import { checkDisplayName, checkEmail, normalizeEmail, publicUser, type StoredUser, type User, type UserStatus } from './user.ts';
import type { OneTimeLinkService } from './one-time-link-service.ts';
import { accountCreatedMessage, invitationMessage } from '../mail/messages.ts';
import { fail } from '../error-catalogue.ts';
import { hashPrepared, type CreateUserInput, type CreatedUser, type HashedUser, type InsertedUser, type PreparedUser } from './user-creation.ts';
import { viewUser, type UserView } from './user-view.ts';
import { cursorAfter, userOrder } from './user-order.ts';
import type { UserSortKey } from './user-store.ts';

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
  /** The column to sort by (creation, id order, without it) and its direction (ascending without it). */
  sort?: UserSortKey;
  order?: 'asc' | 'desc';
}

/** A row of GET /api/v1/users: the user as the API shows them, with the list's 2FA and SSO columns (read in the page's one statement). */
export interface UserListItem extends UserView {
  /** Two-factor authentication enabled (an enrolment never confirmed is not). */
  twoFactorEnabled: boolean;
  /** At least one identity-provider account signs in as them. */
  ssoLinked: boolean;
}

/**
 * Users as accounts: creating them (the API's, CSV import's and import jobs' one path), reading,
 * listing and editing them, and loading one through the guard that fits what the caller is about
 * to do. A user's status and deletion are UserLifecycleService's; their roles, memberships and
 * home tenant UserTenancyService's; an admin's password reset UserCredentialService's.
 */
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
    const order = userOrder(query);
    const members = await store.users.listMembers(actor.tenantId, {
      search: query.search,
      order,
      after: order ? undefined : query.cursor,
      limit: limit + 1,
      roleId,
      status: query.status,
      twoFactorEnrolled: query.twoFactor === undefined ? undefined : query.twoFactor === 'enrolled',
      ssoLinked: query.sso === undefined ? undefined : query.sso === 'linked',
      lastSignInBefore: query.lastSignInBefore,
      lastSignInAfter: query.lastSignInAfter,
      homeTenantSlug: query.homeTenant,
      now: this.#context.clock.now().toISOString(),
    });
    const page = members.slice(0, limit);
    const items = page.map((member) => ({
      ...publicUser(member.user),
      homeTenant: member.homeTenantSlug,
      role: member.role.name,
      twoFactorEnabled: member.twoFactorEnabled,
      ssoLinked: member.ssoLinked,
    }));
    return { items, nextCursor: members.length > limit ? cursorAfter(order, page.at(-1)!) : null };
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

  async #view(user: StoredUser | User, tenantId: string): Promise<UserView> {
    return viewUser(this.#context.store, this.#access, user, tenantId);
  }
}
