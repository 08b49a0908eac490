import type { Actor } from '../context.ts';
import { isPermission, type Permission } from '../permissions.ts';
import type { Store } from '../store.ts';
import type { RoleFacts, TenantFacts } from './authorization-facts.ts';
import { type AccessService, missingPermission } from './access-service.ts';
import { loadVisible } from './guards.ts';
import { fail } from '../error-catalogue.ts';

export const MAX_CHECKS_PER_REQUEST = 100;

/** One question: may the subject (the caller, or `user`) use `permission` in `tenant`? */
export interface AuthorizationQuestion {
  permission: string;
  /** A tenant's slug or id; the request's tenant when absent. */
  tenant?: string;
  /** Ask on behalf of this user (an id); the caller then needs ViewUsers there. */
  user?: string;
}

export type AuthorizationAnswer =
  | {
      allowed: true;
      /** The role that grants the permission: the subject's role in `evaluatedIn`. */
      role: string;
      tenant: string;
      evaluatedIn: string;
    }
  | {
      allowed: false;
      /** Why: the error code a route of Sophon's would have answered (403 or 404 respectively). */
      reason: 'PERMISSION_MISSING';
      missingPermission: Permission;
      tenant: string;
      evaluatedIn: string;
      /** The very sentence of Sophon's own 403 PERMISSION_MISSING. */
      message: string;
    }
  | {
      allowed: false;
      reason: 'TENANT_NOT_FOUND' | 'USER_SUSPENDED';
      tenant: string;
      message: string;
    };

/**
 * Sophon as the decision point for the platform's other services: "may the holder of this
 * credential (or a user the caller may see) use this permission in this tenant?", answered by
 * the same rules as Sophon's own routes (AccessService: installation-wide permissions only
 * through the role in `default`). Read-only: it changes nothing and audits nothing but the
 * refusals of the caller's own authority (an on-behalf question without ViewUsers).
 *
 * - A tenant that doesn't exist and one where the caller has no role answer alike
 *   (`TENANT_NOT_FOUND`, allowed false), as an X-Sophon-Tenant header naming it would.
 * - On behalf of another user: the caller needs ViewUsers in the tenant asked about (and in
 *   `default` when the permission is installation-wide, since the answer tells the user's role
 *   there), else 403 PERMISSION_MISSING for the whole request; a user who isn't a member of the
 *   tenant asked about is 404 USER_NOT_FOUND, as everywhere.
 * - An unknown permission refuses the whole request (400 PERMISSION_UNKNOWN naming it): a typo
 *   must not read as "denied".
 */
export class AuthorizationCheckService {
  readonly #store: Store;
  readonly #access: AccessService;

  constructor(store: Store, access: AccessService) {
    this.#store = store;
    this.#access = access;
  }

  async check(actor: Actor, questions: readonly AuthorizationQuestion[]): Promise<AuthorizationAnswer[]> {
    if (questions.length < 1 || questions.length > MAX_CHECKS_PER_REQUEST) {
      throw fail('CHECKS_INVALID', { problem: `send between 1 and ${MAX_CHECKS_PER_REQUEST} checks in one request (got ${questions.length})` }, { field: 'checks' });
    }
    // Every question is validated before any is answered.
    const permissions = questions.map((question, index) => knownPermission(question.permission, questions.length > 1 ? `checks.${index}.permission` : 'permission'));
    const request = new RequestScope(this.#store, this.#access, actor);
    const answers: AuthorizationAnswer[] = [];
    for (const [index, question] of questions.entries()) answers.push(await request.answer(question, permissions[index]!));
    return answers;
  }
}

/**
 * What one request has read already: each tenant, subject and (user, tenant) role is read once
 * however many checks name it, so a self-check costs two reads (the tenant, the role).
 */
class RequestScope {
  readonly #store: Store;
  readonly #access: AccessService;
  readonly #actor: Actor;
  readonly #tenants = new Map<string, Promise<TenantFacts | undefined>>();
  /** Per user id, the object AccessService remembers decisions on (the caller's own is the request's actor). */
  readonly #subjects = new Map<string, { userId: string }>();
  readonly #roles = new Map<string, Promise<RoleFacts | undefined>>();
  readonly #slugs = new Map<string, Promise<string>>();

  constructor(store: Store, access: AccessService, actor: Actor) {
    this.#store = store;
    this.#access = access;
    this.#actor = actor;
    this.#subjects.set(actor.userId, actor);
  }

  async answer(question: AuthorizationQuestion, permission: Permission): Promise<AuthorizationAnswer> {
    const tenant = await this.#visibleTenant(question.tenant);
    if (!tenant) {
      const named = (question.tenant ?? this.#actor.tenantId).slice(0, 100);
      return { allowed: false, reason: 'TENANT_NOT_FOUND', tenant: named, message: `No tenant "${named}" exists, or you have no role in it.` };
    }
    const where = await this.#access.tenantForPermission(permission, tenant.id, this.#store);
    const subject = await this.#subject(question.user, tenant, where);
    if (subject === 'suspended') {
      return { allowed: false, reason: 'USER_SUSPENDED', tenant: tenant.slug, message: `User ${question.user} is suspended: they can do nothing until an admin reactivates them.` };
    }
    // One read of the subject's role where the permission is evaluated: it names the granting role
    // and, remembered as the request's decision, answers AccessService.holds — the same call, and
    // so the same rule, as Sophon's routes.
    const role = await this.#decided(subject, where);
    const allowed = await this.#access.holds(subject, permission, tenant.id, this.#store);
    const evaluatedIn = where === tenant.id ? tenant.slug : await this.#slug(where);
    if (!allowed || !role) {
      const refusal = missingPermission(permission, evaluatedIn);
      return { allowed: false, reason: 'PERMISSION_MISSING', missingPermission: permission, tenant: tenant.slug, evaluatedIn, message: refusal.message };
    }
    return { allowed: true, role: role.name, tenant: tenant.slug, evaluatedIn };
  }

  /** The tenant asked about, if the caller has a role in it; the request's own tenant when none is named. */
  async #visibleTenant(reference: string | undefined): Promise<TenantFacts | undefined> {
    const key = reference ?? '';
    let known = this.#tenants.get(key);
    if (!known) {
      known = (async () => {
        // The request's own tenant, as its authorization read it (no read); the same when named by its slug or id.
        const acting = this.#access.rememberedTenant(this.#actor);
        if (acting && acting.id === this.#actor.tenantId && (reference === undefined || reference === acting.slug)) return acting;
        if (reference === undefined) return this.#store.tenants.getById(this.#actor.tenantId);
        const tenant = (await this.#store.tenants.getBySlug(reference)) ?? (await this.#store.tenants.getById(reference));
        if (!tenant) return undefined;
        // Every membership has a role: the caller's role there says whether they belong (and is reused below).
        if (tenant.id !== this.#actor.tenantId && !(await this.#roleOf(this.#actor.userId, tenant.id))) return undefined;
        return tenant;
      })();
      this.#tenants.set(key, known);
    }
    return known;
  }

  /** Who the question is about: the caller, or a user the caller may see in the tenant (ViewUsers there). */
  async #subject(userId: string | undefined, tenant: TenantFacts, where: string): Promise<{ userId: string } | 'suspended'> {
    if (userId === undefined || userId === this.#actor.userId) return this.#actor;
    await this.#decided(this.#actor, tenant.id);
    await this.#access.require(this.#actor, 'ViewUsers', tenant.id, this.#store);
    // An installation-wide answer tells the user's role in `default`: the caller must see users there too.
    if (where !== tenant.id) {
      await this.#decided(this.#actor, where);
      await this.#access.require(this.#actor, 'ViewUsers', where, this.#store);
    }
    const user = await loadVisible(this.#store, { tenantId: tenant.id }, userId);
    if (user.status !== 'active') return 'suspended';
    let subject = this.#subjects.get(user.id);
    if (!subject) this.#subjects.set(user.id, (subject = { userId: user.id }));
    return subject;
  }

  /** The subject's role in the tenant, read once and remembered as the request's decision there. */
  async #decided(subject: { userId: string }, tenantId: string): Promise<RoleFacts | undefined> {
    const role = await this.#roleOf(subject.userId, tenantId);
    this.#access.remember(subject, tenantId, role, tenantId === (await this.#access.defaultTenantId(this.#store)));
    return role;
  }

  async #roleOf(userId: string, tenantId: string): Promise<RoleFacts | undefined> {
    const key = `${userId} ${tenantId}`;
    let known = this.#roles.get(key);
    if (!known) {
      // The caller's roles in the tenant it acts in and in `default` came with the request's authorization.
      const remembered = userId === this.#actor.userId ? this.#access.rememberedRole(this.#actor, tenantId) : 'unread';
      known = remembered === 'unread' ? this.#access.roleIn(userId, tenantId, this.#store) : Promise.resolve(remembered);
      this.#roles.set(key, known);
    }
    return known;
  }

  async #slug(tenantId: string): Promise<string> {
    let known = this.#slugs.get(tenantId);
    if (!known) this.#slugs.set(tenantId, (known = this.#store.tenants.getById(tenantId).then((tenant) => tenant?.slug ?? tenantId)));
    return known;
  }
}

function knownPermission(name: string, field: string): Permission {
  if (isPermission(name)) return name;
  const shown = name.slice(0, 100);
  throw fail('PERMISSION_UNKNOWN', { field, permissions: `"${shown}"` }, {
    field,
    permission: shown,
  });
}
