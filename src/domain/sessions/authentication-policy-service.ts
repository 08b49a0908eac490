import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { parseTimeSpan } from '../../config/timespan.ts';
import {
  defaultAuthenticationSettings,
  GLOBAL_SCOPE,
  type AuthenticationSettings,
  type AuthPolicyRecord,
  type EffectivePolicy,
  type PolicySource,
} from './authentication-policy.ts';
import { fail } from '../error-catalogue.ts';
import type { PolicyFacts } from '../access/authorization-facts.ts';

const MAX_TIMEOUT_MS = 365 * 24 * 3_600_000;
const MIN_TIMEOUT_MS = 60_000;

export interface TenantPolicyChanges {
  /** null removes the tenant's override; undefined leaves it as it is. */
  requireTwoFactor?: boolean | null;
  /** A .NET TimeSpan ("01:00:00", "7.00:00:00"), or null to remove the override. */
  idleTimeout?: string | null;
  absoluteTimeout?: string | null;
}

export interface PolicyView {
  scope: 'global' | { tenantId: string; slug: string };
  /** What the admin API set here (null: not set). */
  overrides: { requireTwoFactor: boolean | null; idleTimeout: string | null; absoluteTimeout: string | null };
  effective: { requireTwoFactor: boolean; idleTimeout: string; absoluteTimeout: string; sources: EffectivePolicy['sources'] };
  updatedAt: string | null;
}

/**
 * Where "Require 2FA" and session lifetimes come from, most specific first:
 *
 * - idle / absolute timeout of a user's session: the home tenant's admin-API override,
 *   else `Sophon:Auth:Tenants:<slug>:IdleTimeout` in appsettings, else `Sophon:Auth:IdleTimeout`;
 * - 2FA is required when appsettings `Sophon:Auth:RequireTwoFactor` is true, or the global
 *   admin-API switch is on, or the tenant requires it (admin API, else tenant appsettings).
 *   A tenant can only add the requirement, never lift a global one.
 *
 * Read from the database on every call, so a change applies on every node at the next request.
 */
export class AuthenticationPolicyService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  get settings(): AuthenticationSettings {
    return this.#context.settings.authentication ?? defaultAuthenticationSettings;
  }

  /** The policy for users at home in (timeouts) or acting in (2FA) `tenantId`. */
  async effective(tenantId: string, store: Store = this.#context.store): Promise<EffectivePolicy> {
    const records = await store.authPolicies.list([GLOBAL_SCOPE, tenantId]);
    const global = records.find((record) => record.scopeId === GLOBAL_SCOPE);
    const tenant = records.find((record) => record.scopeId === tenantId);
    const fromFile = await this.#tenantAppsettings(tenantId, store);
    return this.#combine(global, tenant, fromFile);
  }

  /** The same as `effective`, from records already read (the request's authorization read them with the credential). */
  effectiveFrom(global: PolicyFacts | undefined, tenant: { slug: string | null; record: PolicyFacts | undefined }): EffectivePolicy {
    return this.#combine(global, tenant.record, this.#appsettingsOf(tenant.slug));
  }

  /** Whether a user without 2FA is held to enrol: by their home tenant or the tenant they act in. */
  async requiresTwoFactor(tenantIds: string[], store: Store = this.#context.store): Promise<boolean> {
    if (this.settings.requireTwoFactor) return true;
    const unique = [...new Set(tenantIds)];
    const records = await store.authPolicies.list([GLOBAL_SCOPE, ...unique]);
    const tenants = await Promise.all(
      unique.map(async (tenantId) => ({ record: records.find((record) => record.scopeId === tenantId), fromFile: await this.#tenantAppsettings(tenantId, store) })),
    );
    return this.#requiresTwoFactor(records.find((record) => record.scopeId === GLOBAL_SCOPE), tenants);
  }

  /** The same as `requiresTwoFactor`, from records already read: the global one, and each tenant's (home and acting) with its slug. */
  requiresTwoFactorFrom(global: PolicyFacts | undefined, tenants: { slug: string | null; record: PolicyFacts | undefined }[]): boolean {
    return this.#requiresTwoFactor(
      global,
      tenants.map((tenant) => ({ record: tenant.record, fromFile: this.#appsettingsOf(tenant.slug) })),
    );
  }

  /** The one rule: appsettings, else the global switch, else any of the tenants (its admin-API override, else its appsettings). */
  #requiresTwoFactor(global: PolicyFacts | undefined, tenants: { record: PolicyFacts | undefined; fromFile: AuthenticationSettings['tenants'][string] }[]): boolean {
    if (this.settings.requireTwoFactor) return true;
    if (global?.requireTwoFactor) return true;
    return tenants.some(({ record, fromFile }) => record?.requireTwoFactor ?? fromFile.requireTwoFactor ?? false);
  }

  async getGlobal(actor: Actor): Promise<PolicyView> {
    await this.#access.require(actor, 'ManageSettings', actor.tenantId);
    const [record] = await this.#context.store.authPolicies.list([GLOBAL_SCOPE]);
    return this.#view('global', record, this.#combine(record, undefined, {}));
  }

  /** Admin → Settings → Authentication → Require 2FA, installation-wide (ManageSettings). */
  async setGlobal(actor: Actor, changes: { requireTwoFactor: boolean }): Promise<PolicyView> {
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, 'ManageSettings', actor.tenantId, store);
      const [before] = await store.authPolicies.list([GLOBAL_SCOPE]);
      const record: AuthPolicyRecord = {
        scopeId: GLOBAL_SCOPE,
        requireTwoFactor: changes.requireTwoFactor,
        idleTimeoutSeconds: null,
        absoluteTimeoutSeconds: null,
        updatedAt: this.#context.clock.now().toISOString(),
        updatedBy: actor.userId,
      };
      await store.authPolicies.set(record);
      const home = await this.#access.defaultTenant(store);
      await recordAudit(this.#context, store, actor, {
        tenantId: home.id,
        category: 'system',
        action: 'authentication_policy.updated',
        subjectType: 'settings',
        subjectId: GLOBAL_SCOPE,
        diff: { before: { requireTwoFactor: before?.requireTwoFactor ?? null }, after: { requireTwoFactor: changes.requireTwoFactor } },
      });
      return this.#view('global', record, this.#combine(record, undefined, {}));
    });
  }

  async getTenant(actor: Actor, reference: string): Promise<PolicyView> {
    const tenant = await this.#manageableTenant(actor, reference, this.#context.store);
    const records = await this.#context.store.authPolicies.list([GLOBAL_SCOPE, tenant.id]);
    const record = records.find((entry) => entry.scopeId === tenant.id);
    const effective = this.#combine(
      records.find((entry) => entry.scopeId === GLOBAL_SCOPE),
      record,
      this.settings.tenants[tenant.slug] ?? {},
    );
    return this.#view({ tenantId: tenant.id, slug: tenant.slug }, record, effective);
  }

  /** Require 2FA and session lifetimes of one tenant (ManageTenants). */
  async setTenant(actor: Actor, reference: string, changes: TenantPolicyChanges): Promise<PolicyView> {
    const idle = timeoutChange(changes.idleTimeout, 'idleTimeout');
    const absolute = timeoutChange(changes.absoluteTimeout, 'absoluteTimeout');
    await this.#context.store.transaction(async (store) => {
      const tenant = await this.#manageableTenant(actor, reference, store);
      const [before] = await store.authPolicies.list([tenant.id]);
      const record: AuthPolicyRecord = {
        scopeId: tenant.id,
        requireTwoFactor: changes.requireTwoFactor === undefined ? (before?.requireTwoFactor ?? null) : changes.requireTwoFactor,
        idleTimeoutSeconds: idle === undefined ? (before?.idleTimeoutSeconds ?? null) : idle,
        absoluteTimeoutSeconds: absolute === undefined ? (before?.absoluteTimeoutSeconds ?? null) : absolute,
        updatedAt: this.#context.clock.now().toISOString(),
        updatedBy: actor.userId,
      };
      if (record.idleTimeoutSeconds !== null && record.absoluteTimeoutSeconds !== null && record.idleTimeoutSeconds > record.absoluteTimeoutSeconds) {
        throw fail('TIMEOUT_ORDER_INVALID');
      }
      if (record.requireTwoFactor === null && record.idleTimeoutSeconds === null && record.absoluteTimeoutSeconds === null) await store.authPolicies.delete(tenant.id);
      else await store.authPolicies.set(record);
      const shape = (entry: AuthPolicyRecord | undefined) => ({
        requireTwoFactor: entry?.requireTwoFactor ?? null,
        idleTimeoutSeconds: entry?.idleTimeoutSeconds ?? null,
        absoluteTimeoutSeconds: entry?.absoluteTimeoutSeconds ?? null,
      });
      await recordAudit(this.#context, store, actor, {
        tenantId: tenant.id,
        category: 'tenants',
        action: 'authentication_policy.updated',
        subjectType: 'tenant',
        subjectId: tenant.id,
        diff: { before: shape(before), after: shape(record) },
      });
    });
    return this.getTenant(actor, reference);
  }

  async #manageableTenant(actor: Actor, reference: string, store: Store): Promise<Tenant> {
    const tenant = (await store.tenants.getBySlug(reference)) ?? (await store.tenants.getById(reference));
    // ManageTenants is installation-wide (evaluated in `default`): checked before saying whether the tenant exists.
    await this.#access.require(actor, 'ManageTenants', actor.tenantId, store);
    if (!tenant) throw fail('TENANT_NOT_FOUND', { tenant: reference });
    return tenant;
  }

  async #tenantAppsettings(tenantId: string, store: Store) {
    const configured = this.settings.tenants;
    if (Object.keys(configured).length === 0) return {};
    const tenant = await store.tenants.getById(tenantId);
    return this.#appsettingsOf(tenant?.slug ?? null);
  }

  #appsettingsOf(slug: string | null): AuthenticationSettings['tenants'][string] {
    return (slug !== null && Object.hasOwn(this.settings.tenants, slug) && this.settings.tenants[slug]) || {};
  }

  #combine(global: PolicyFacts | undefined, tenant: PolicyFacts | undefined, fromFile: AuthenticationSettings['tenants'][string]): EffectivePolicy {
    const { sessionIdleTimeout, sessionAbsoluteTimeout } = this.#context.settings;
    const pick = <T>(candidates: [T | null | undefined, PolicySource][], fallback: [T, PolicySource]): [T, PolicySource] =>
      (candidates.find(([value]) => value !== null && value !== undefined) as [T, PolicySource] | undefined) ?? fallback;
    const seconds = (value: number | null | undefined) => (value === null || value === undefined ? value : value * 1000);
    const [idleTimeout, idleSource] = pick<number>([[seconds(tenant?.idleTimeoutSeconds), 'tenant admin API'], [fromFile.idleTimeout, 'tenant appsettings']], [sessionIdleTimeout, 'appsettings']);
    const [absoluteTimeout, absoluteSource] = pick<number>(
      [[seconds(tenant?.absoluteTimeoutSeconds), 'tenant admin API'], [fromFile.absoluteTimeout, 'tenant appsettings']],
      [sessionAbsoluteTimeout, 'appsettings'],
    );
    let requireTwoFactor: [boolean, PolicySource];
    if (this.settings.requireTwoFactor) requireTwoFactor = [true, 'appsettings'];
    else if (global?.requireTwoFactor) requireTwoFactor = [true, 'admin API'];
    else requireTwoFactor = pick<boolean>([[tenant?.requireTwoFactor, 'tenant admin API'], [fromFile.requireTwoFactor, 'tenant appsettings']], [false, 'default']);
    return {
      idleTimeout,
      absoluteTimeout,
      requireTwoFactor: requireTwoFactor[0],
      sources: { idleTimeout: idleSource, absoluteTimeout: absoluteSource, requireTwoFactor: requireTwoFactor[1] },
    };
  }

  #view(scope: PolicyView['scope'], record: AuthPolicyRecord | undefined, effective: EffectivePolicy): PolicyView {
    const span = (seconds: number | null | undefined) => (seconds === null || seconds === undefined ? null : formatTimeSpan(seconds * 1000));
    return {
      scope,
      overrides: { requireTwoFactor: record?.requireTwoFactor ?? null, idleTimeout: span(record?.idleTimeoutSeconds), absoluteTimeout: span(record?.absoluteTimeoutSeconds) },
      effective: {
        requireTwoFactor: effective.requireTwoFactor,
        idleTimeout: formatTimeSpan(effective.idleTimeout),
        absoluteTimeout: formatTimeSpan(effective.absoluteTimeout),
        sources: effective.sources,
      },
      updatedAt: record?.updatedAt ?? null,
    };
  }
}

/** Seconds to store, null to clear, undefined to leave unchanged. */
function timeoutChange(text: string | null | undefined, field: string): number | null | undefined {
  if (text === null || text === undefined) return text;
  const parsed = parseTimeSpan(text);
  if (!parsed.ok) throw fail('TIMESPAN_INVALID', { field, reason: parsed.reason });
  if (parsed.milliseconds < MIN_TIMEOUT_MS || parsed.milliseconds > MAX_TIMEOUT_MS) {
    throw fail('TIMEOUT_OUT_OF_RANGE', { field });
  }
  return Math.floor(parsed.milliseconds / 1000);
}

/** Milliseconds as a .NET TimeSpan: "08:00:00", "7.00:00:00". */
export function formatTimeSpan(milliseconds: number): string {
  const totalSeconds = Math.floor(milliseconds / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const pad = (value: number) => String(value).padStart(2, '0');
  const clock = `${pad(Math.floor((totalSeconds % 86_400) / 3600))}:${pad(Math.floor((totalSeconds % 3600) / 60))}:${pad(totalSeconds % 60)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}
