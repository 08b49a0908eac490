import type { AccessService, TenantPermissions } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { diffOf } from '../audit/audit-event.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Permission } from '../permissions.ts';
import { ADMIN_ROLE_ID, type Role } from '../roles/role.ts';
import { checkNoEscalation, resolveRole } from '../roles/role-service.ts';
import { permissionsOfRole } from '../access/access-service.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import type { TenantService } from '../tenants/tenant-service.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { DEFAULT_TENANT_SLUG } from '../tenants/tenant.ts';
import { checkPasswordPolicy, generatePassword, hashPassword } from './passwords.ts';
import { checkDisplayName, checkEmail, normalizeEmail, publicUser, type StoredUser, type User } from './user.ts';
import type { OneTimeLinkService } from './one-time-link-service.ts';
import { invitationMessage, passwordResetMessage } from '../mail/messages.ts';

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
  tenantId: string;
}

/** Settles each user's initial password (given or generated) and hashes them, a few at a time. */
export async function hashPrepared(prepared: PreparedUser[]): Promise<HashedUser[]> {
  const hashed: HashedUser[] = [];
  // Argon2 runs on libuv's four worker threads: more at once only queues.
  for (let start = 0; start < prepared.length; start += 4) {
    hashed.push(
      ...(await Promise.all(
        prepared.slice(start, start + 4).map(async (user) => {
          const initialPassword = user.password ?? generatePassword();
          return { ...user, initialPassword, passwordHash: await hashPassword(initialPassword) };
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
  invitation?: { emailed: true; messageId: string; expiresAt: string };
}

export interface UserView extends User {
  homeTenant: string;
  /** The user's role in the tenant the request acts in. */
  role: string | null;
}

export class UserService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #tenants: TenantService;
  readonly #links: OneTimeLinkService;

  constructor(context: DomainContext, access: AccessService, tenants: TenantService, links: OneTimeLinkService) {
    this.#context = context;
    this.#access = access;
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
  async prepareCreate(actor: Actor, input: CreateUserInput): Promise<PreparedUser> {
    const email = checkEmail(input.email);
    const displayName = checkDisplayName(input.displayName);
    if (input.password !== undefined) checkPasswordPolicy(input.password, this.#context.settings.passwordMinLength, { email });
    const tenant = input.tenant ? await this.#tenants.getVisible(actor, input.tenant) : await this.#context.store.tenants.getById(actor.tenantId);
    if (!tenant) throw notFound('TENANT_NOT_FOUND', 'The tenant of this request no longer exists.');
    await this.#access.require(actor, 'ManageUsers', tenant.id);
    return { email, displayName, role: input.role ?? 'Viewer', tenant, password: input.password };
  }

  /** The checks that must hold at the moment of insertion, inside its transaction; returns the role to assign. */
  async checkCreatable(store: Store, actor: Actor, prepared: PreparedUser): Promise<Role> {
    await this.#access.require(actor, 'ManageUsers', prepared.tenant.id, store);
    const role = await resolveRole(store, prepared.tenant.id, prepared.role);
    await checkNoEscalation(this.#access, actor, permissionsOfRole(role), prepared.tenant.id, store);
    if (await store.users.getByEmail(normalizeEmail(prepared.email))) {
      throw conflict('EMAIL_TAKEN', `A user with email ${prepared.email} already exists.`);
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
    let invitation: CreatedUser['invitation'];
    if (mailEnabled) {
      const link = await this.#links.issue(store, created.id, 'invitation', actor.userId);
      const mail = invitationMessage({
        tenantId: tenant.id,
        userId: created.id,
        recipient: email,
        now,
        displayName,
        tenantName: tenant.name,
        link: link.url,
        expiresAt: link.expiresAt,
        publicUrl: this.#context.settings.publicUrl,
      });
      await store.mail.enqueue(mail);
      invitation = { emailed: true, messageId: mail.id, expiresAt: link.expiresAt };
    }
    await recordAudit(this.#context, store, actor, {
      tenantId: tenant.id,
      category: 'users',
      action: 'user.created',
      subjectType: 'user',
      subjectId: created.id,
      diff: { before: null, after: { email, displayName, role: role.name, tenant: tenant.slug } },
      detail: { passwordGenerated: prepared.password === undefined, invitationEmailed: mailEnabled, ...(via ? { via } : {}) },
    });
    await recordAudit(this.#context, store, actor, {
      tenantId: tenant.id,
      category: 'rbac',
      action: 'role.assigned',
      subjectType: 'user',
      subjectId: created.id,
      diff: { before: null, after: { role: role.name } },
    });
    return { created, invitation, tenantId: tenant.id };
  }

  /** What the admin gets back for a created user, the one-time password included when it is theirs to pass on. */
  async answerFor(result: InsertedUser, prepared: HashedUser): Promise<CreatedUser> {
    const user = await this.#view(result.created, result.tenantId);
    const answer: CreatedUser = { user, passwordExpiresAt: result.created.passwordExpiresAt! };
    if (result.invitation) answer.invitation = result.invitation;
    // Shown once, only when nobody else can deliver it: no mail, and the admin didn't choose it.
    else if (prepared.password === undefined) answer.oneTimePassword = prepared.initialPassword;
    return answer;
  }

  /**
   * Starts a password reset: a one-time link, mailed through the outbox when SMTP is
   * configured, else returned to the admin once. Redeeming it ends every session.
   */
  async resetPassword(actor: Actor, userId: string): Promise<{ emailed: boolean; link?: string; expiresAt: string }> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.loadForAccountChange(actor, userId, store);
      const link = await this.#links.issue(store, user.id, 'password_reset', actor.userId);
      const emailed = this.#context.settings.mailEnabled;
      if (emailed) {
        await store.mail.enqueue(
          passwordResetMessage({ tenantId: user.homeTenantId, userId: user.id, recipient: user.email, now: this.#context.clock.now(), displayName: user.displayName, link: link.url, expiresAt: link.expiresAt }),
        );
      }
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: 'password_reset.requested',
        subjectType: 'user',
        subjectId: user.id,
        detail: { emailed, expiresAt: link.expiresAt },
      });
      return emailed ? { emailed, expiresAt: link.expiresAt } : { emailed, link: link.url, expiresAt: link.expiresAt };
    });
  }

  /**
   * Moves a user's home to another tenant: their role there replaces the old home's, and
   * the agents, workflows, memory and documents they own move with them in the same
   * transaction, so nothing of theirs stays readable in the old tenant.
   */
  async move(actor: Actor, userId: string, input: { tenant: string; role?: string }): Promise<UserView & { movedResources: number }> {
    const target = await this.#tenants.getVisible(actor, input.tenant);
    const moved = await this.#context.store.transaction(async (store) => {
      const user = await this.#loadManageable(actor, userId, store);
      if (user.id === actor.userId) throw forbidden('CANNOT_CHANGE_OWN_TENANT', 'You cannot move yourself to another tenant; ask another admin.');
      if (user.homeTenantId === target.id) throw conflict('ALREADY_IN_TENANT', `The user's home is already tenant "${target.slug}".`);
      await this.#access.require(actor, 'ManageUsers', target.id, store);
      await this.#access.require(actor, 'AssignRoles', target.id, store);
      const oldAssignment = await store.assignments.get(user.homeTenantId, user.id);
      const oldRole = oldAssignment ? await store.roles.getById(oldAssignment.roleId) : undefined;
      // Keep the role when it can live in the new tenant (built-in or global); a tenant-only role can't follow.
      const roleReference = input.role ?? (oldRole && oldRole.tenantId === null ? oldRole.id : 'Viewer');
      const role = await resolveRole(store, target.id, roleReference);
      await checkNoEscalation(this.#access, actor, permissionsOfRole(role), target.id, store);
      await this.#guardNotMorePrivilegedAnywhere(actor, user.id, store);
      if (oldAssignment?.roleId === ADMIN_ROLE_ID) await this.#guardLastAdmin(store, user.id, user.homeTenantId);
      const now = this.#context.clock.now().toISOString();
      const movedResources = await store.resources.moveOwned(user.id, user.homeTenantId, target.id, now);
      await store.assignments.remove(user.homeTenantId, user.id);
      await store.assignments.set({ userId: user.id, tenantId: target.id, roleId: role.id, assignedAt: now, assignedBy: actor.userId });
      await store.users.update(user.id, { homeTenantId: target.id, updatedAt: now });
      const from = await store.tenants.getById(user.homeTenantId);
      for (const tenantId of new Set([user.homeTenantId, target.id])) {
        await recordAudit(this.#context, store, actor, {
          tenantId,
          category: 'users',
          action: 'user.moved',
          subjectType: 'user',
          subjectId: user.id,
          diff: { before: { tenant: from?.slug ?? user.homeTenantId, role: oldRole?.name ?? null }, after: { tenant: target.slug, role: role.name } },
          detail: { movedResources },
        });
      }
      await recordAudit(this.#context, store, actor, {
        tenantId: target.id,
        category: 'rbac',
        action: 'role.assigned',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: null, after: { role: role.name } },
        detail: { reason: 'moved between tenants' },
      });
      return { user: { ...user, homeTenantId: target.id, updatedAt: now }, movedResources };
    });
    return { ...(await this.#view(moved.user, target.id)), movedResources: moved.movedResources };
  }

  async get(actor: Actor, userId: string): Promise<UserView> {
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    return this.#view(await this.loadVisible(actor, userId), actor.tenantId);
  }

  async list(actor: Actor, query: { search?: string; cursor?: string; limit?: number }): Promise<{ items: UserView[]; nextCursor: string | null }> {
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    const users = await this.#context.store.users.listInTenant(actor.tenantId, { search: query.search, after: query.cursor, limit: limit + 1 });
    const page = users.slice(0, limit);
    const items = await Promise.all(page.map((user) => this.#view(user, actor.tenantId)));
    return { items, nextCursor: users.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  async update(actor: Actor, userId: string, changes: { email?: string; displayName?: string }): Promise<UserView> {
    const email = changes.email === undefined ? undefined : checkEmail(changes.email);
    const displayName = changes.displayName === undefined ? undefined : checkDisplayName(changes.displayName);
    const updated = await this.#context.store.transaction(async (store) => {
      const user = await this.loadForAccountChange(actor, userId, store);
      if (email !== undefined && normalizeEmail(email) !== normalizeEmail(user.email)) {
        if (await store.users.getByEmail(normalizeEmail(email))) throw conflict('EMAIL_TAKEN', `A user with email ${email} already exists.`);
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
      const user = await this.#loadManageable(actor, userId, store);
      if (user.id === actor.userId) throw forbidden('CANNOT_DELETE_SELF', 'You cannot delete your own account; ask another admin.');
      await this.#guardNotMorePrivilegedAnywhere(actor, user.id, store);
      await this.#guardLastAdmin(store, user.id);
      const now = this.#context.clock.now().toISOString();
      const memberships = await store.assignments.listForUser(user.id);
      const orphaned = await store.resources.orphanAllOf(user.id, now);
      await store.sessions.endAllForUser(user.id, now, 'user deleted');
      await store.users.delete(user.id);
      // Every tenant the user belonged to gets the event in its own trail, with the role they lost there.
      for (const membership of memberships) {
        const role = await store.roles.getById(membership.roleId);
        await recordAudit(this.#context, store, actor, {
          tenantId: membership.tenantId,
          category: 'users',
          action: 'user.deleted',
          subjectType: 'user',
          subjectId: user.id,
          diff: { before: { email: user.email, displayName: user.displayName, status: user.status, role: role?.name ?? null }, after: null },
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
      await this.#access.require(actor, 'AssignRoles', tenantId, store);
      const user = await this.#findUser(store, userReference);
      if (!user) throw userNotFound(userReference);
      if (user.id === actor.userId) throw forbidden('CANNOT_CHANGE_OWN_ROLE', 'You cannot change your own role; ask another admin.');
      const current = await store.assignments.get(tenantId, user.id);
      // A user of another tenant exists for the caller only if the caller manages them at home.
      if (!current && !(await this.#access.holds(actor, 'ManageUsers', user.homeTenantId, store))) throw userNotFound(userReference);
      // Adding someone to a tenant is user management too, not just a role change.
      if (!current) await this.#access.require(actor, 'ManageUsers', tenantId, store);
      const role = await resolveRole(store, tenantId, roleReference);
      await checkNoEscalation(this.#access, actor, permissionsOfRole(role), tenantId, store);
      if (current) await this.#guardNotMorePrivileged(actor, user.id, tenantId, store);
      if (current?.roleId === ADMIN_ROLE_ID && role.id !== ADMIN_ROLE_ID) await this.#guardLastAdmin(store, user.id, tenantId);
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
      await this.#access.require(actor, 'AssignRoles', actor.tenantId, store);
      const user = await this.loadVisible(actor, userId, store);
      if (user.id === actor.userId) throw forbidden('CANNOT_CHANGE_OWN_ROLE', 'You cannot change your own role; ask another admin.');
      if (user.homeTenantId === actor.tenantId) {
        throw conflict('HOME_TENANT_MEMBERSHIP', 'This is the user\'s home tenant; move or delete the user instead.');
      }
      const current = await store.assignments.get(actor.tenantId, user.id);
      const role = current ? await store.roles.getById(current.roleId) : undefined;
      await this.#guardNotMorePrivileged(actor, user.id, actor.tenantId, store);
      if (current?.roleId === ADMIN_ROLE_ID) await this.#guardLastAdmin(store, user.id, actor.tenantId);
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
   * tenants where the caller may see users are shown, so no other tenant's set leaks.
   */
  async effectivePermissions(actor: Actor, userId: string): Promise<{ userId: string; tenants: TenantPermissions[]; permissions: Permission[] }> {
    if (userId !== actor.userId) await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const user = userId === actor.userId ? await this.#context.store.users.getById(userId) : await this.loadVisible(actor, userId);
    if (!user) throw userNotFound(userId);
    const all = await this.#access.effectivePermissions(user.id);
    const tenants: TenantPermissions[] = [];
    for (const entry of all.tenants) {
      if (user.id === actor.userId || (await this.#access.holds(actor, 'ViewUsers', entry.tenantId))) tenants.push(entry);
    }
    const permissions = [...new Set(tenants.flatMap((entry) => entry.permissions))].sort();
    return { userId: user.id, tenants, permissions };
  }

  /** A user who belongs to the tenant the request acts in; anyone else is "not found". */
  async loadVisible(actor: Actor, userId: string, store: Store = this.#context.store): Promise<StoredUser> {
    const user = await store.users.getInTenant(actor.tenantId, userId);
    if (!user) throw userNotFound(userId);
    return user;
  }

  /**
   * Account-level changes (profile, status, deletion, credentials) belong to the user's
   * home tenant: a tenant where the user is only a guest can't suspend or delete them.
   */
  async #loadManageable(actor: Actor, userId: string, store: Store): Promise<StoredUser> {
    const user = await this.loadVisible(actor, userId, store);
    await this.#access.require(actor, 'ManageUsers', user.homeTenantId, store);
    return user;
  }

  async loadManageable(actor: Actor, userId: string, store: Store = this.#context.store): Promise<StoredUser> {
    return this.#loadManageable(actor, userId, store);
  }

  /**
   * A user whose account (credentials, status, identity) the actor is about to change. Whoever
   * controls an account acts with its roles in every tenant, so the actor must hold, in each
   * tenant where the user has a role, everything the user holds there: an admin of tenant B
   * can't reset the password of, or re-address, a user who is also Admin of tenant A.
   */
  async loadForAccountChange(actor: Actor, userId: string, store: Store = this.#context.store): Promise<StoredUser> {
    const user = await this.#loadManageable(actor, userId, store);
    if (user.id !== actor.userId) await this.#guardNotMorePrivilegedAnywhere(actor, user.id, store);
    return user;
  }

  async #setStatus(actor: Actor, userId: string, status: 'active' | 'suspended'): Promise<UserView> {
    const user = await this.#context.store.transaction(async (store) => {
      const user = await this.#loadManageable(actor, userId, store);
      if (user.status === status) return user;
      if (status === 'suspended') {
        if (user.id === actor.userId) throw forbidden('CANNOT_SUSPEND_SELF', 'You cannot suspend your own account.');
        await this.#guardNotMorePrivilegedAnywhere(actor, user.id, store);
        await this.#guardLastAdmin(store, user.id);
      }
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

  /**
   * The other half of the escalation rule: nobody demotes, removes, suspends, moves or
   * deletes someone who holds permissions they don't hold themselves in that tenant — a
   * user with AssignRoles alone can't unseat an Admin.
   */
  async #guardNotMorePrivileged(actor: Actor, userId: string, tenantId: string, store: Store): Promise<void> {
    const beyond = await this.#permissionsBeyond(actor, userId, tenantId, store);
    if (beyond.length > 0) {
      throw forbidden('TARGET_MORE_PRIVILEGED', `This user holds permissions you don't hold in this tenant (${beyond.join(', ')}); ask someone who holds them all.`, {
        permissionsNotHeld: beyond,
      });
    }
  }

  async #guardNotMorePrivilegedAnywhere(actor: Actor, userId: string, store: Store): Promise<void> {
    for (const assignment of await store.assignments.listForUser(userId)) {
      const beyond = await this.#permissionsBeyond(actor, userId, assignment.tenantId, store);
      if (beyond.length === 0) continue;
      const slug = (await store.tenants.getById(assignment.tenantId))?.slug ?? assignment.tenantId;
      throw forbidden(
        'TARGET_MORE_PRIVILEGED',
        `This user holds permissions you don't hold in tenant "${slug}" (${beyond.join(', ')}); whoever controls their account acts with those, so ask someone who holds them all.`,
        { permissionsNotHeld: beyond, tenant: slug },
      );
    }
  }

  /** What the user holds in the tenant that the actor doesn't. */
  async #permissionsBeyond(actor: Actor, userId: string, tenantId: string, store: Store): Promise<Permission[]> {
    const theirs = await this.#access.permissionsIn(userId, tenantId, store);
    const held = await this.#access.permissionsIn(actor.userId, tenantId, store);
    return [...theirs].filter((permission) => !held.has(permission));
  }

  /** The last active Admin of `default` can't be demoted, suspended or deleted: someone must be able to administer. */
  async #guardLastAdmin(store: Store, userId: string, tenantId?: string): Promise<void> {
    const home = await this.#access.defaultTenant(store);
    if (tenantId !== undefined && tenantId !== home.id) return;
    const admins = await store.assignments.listActiveHolders(home.id, ADMIN_ROLE_ID);
    if (admins.includes(userId) && admins.length === 1) {
      throw conflict('LAST_ADMIN', `This user is the last active Admin of tenant "${DEFAULT_TENANT_SLUG}"; make someone else Admin first.`);
    }
  }

  async #findUser(store: Store, reference: string): Promise<StoredUser | undefined> {
    return reference.includes('@') ? store.users.getByEmail(normalizeEmail(reference)) : store.users.getById(reference);
  }

  async #view(user: StoredUser | User, tenantId: string): Promise<UserView> {
    const { store } = this.#context;
    const [home, role] = await Promise.all([store.tenants.getById(user.homeTenantId), this.#access.roleIn(user.id, tenantId)]);
    return { ...publicUser(user), homeTenant: home?.slug ?? user.homeTenantId, role: role?.name ?? null };
  }
}

export function userNotFound(reference: string) {
  return notFound('USER_NOT_FOUND', `No user "${reference}" exists in this tenant.`);
}
