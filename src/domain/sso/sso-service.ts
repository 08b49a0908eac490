import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { DomainContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { hashSecret, newId, secretsEqual } from '../ids.ts';
import { ADMIN_ROLE_ID, type Role } from '../roles/role.ts';
import { resolveRole, type AccessGuards } from '../access/guards.ts';
import type { LoginThrottle } from '../login-throttle/login-throttle-service.ts';
import type { AuthService, LoginResult, Origin } from '../sessions/auth-service.ts';
import type { Store } from '../store.ts';
import { DEFAULT_TENANT_SLUG, type Tenant } from '../tenants/tenant.ts';
import { hasUsablePassword, NO_PASSWORD_HASH } from '../users/passwords.ts';
import { checkDisplayName, checkEmail, normalizeEmail, type StoredUser } from '../users/user.ts';
import type { IdentityProvider, VerifiedIdentity } from './identity-provider.ts';
import { chooseRole, groupsOf } from './role-mapping.ts';
import {
  ssoAccountExists,
  ssoAccountLinkedElsewhere,
  ssoAccountSuspended,
  ssoClaimsInvalid,
  ssoEmailDomainNotAllowed,
  ssoEmailMissing,
  ssoEmailNotVerified,
  ssoNoRoleMapping,
  ssoNotConfigured,
  ssoRoleUnknown,
  ssoSessionTooShort,
  ssoStateInvalid,
  ssoTenantUnknown,
  ssoTokenInvalid,
  ssoTooManyAttempts,
  ssoTooManyStarts,
  ssoUserNotProvisioned,
} from './sso-errors.ts';
import { SSO_LOGIN_STATE_LIFETIME_MS } from './sso-login-state.ts';
import type { SsoSettings } from './sso-settings.ts';
import { SsoStartThrottle } from './sso-start-throttle.ts';

/** What the dashboard needs to offer the button. */
export type SsoPublicConfig = { enabled: false } | { enabled: true; buttonLabel: string; loginUrl: string };

export interface SsoLoginResult extends LoginResult {
  /** The user was created by this sign-in. */
  created: boolean;
}

/**
 * The per-address brute-force counter shared with password sign-ins and one-time links
 * (LoginThrottle.beginFromAddress): the public SSO routes write to the database, so a
 * refused callback counts as a failure of its source address, and a locked address can
 * neither start nor finish a sign-in.
 */
export type AddressThrottle = Pick<LoginThrottle, 'beginFromAddress' | 'succeeded' | 'failed'>;

/** What the sign-in learnt before it was refused, for the audit event. */
interface Seen {
  /** The account the identity is linked to (or was just linked to): the refusal goes to its trail. */
  user?: StoredUser;
  /** An account that only shares the email, not (yet) linked: named in the SSO tenant's trail, not acting. */
  candidate?: StoredUser;
}

/** C0 control characters and DEL, which no claim Sophon stores may carry. */
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/;
const printable = (text: string) => text.replace(/[\u0000-\u001F\u007F]/g, '\uFFFD');

/** How far ahead of this server's clock an ID token's `iat` may be (the provider's clock may run a little fast). */
export const ID_TOKEN_CLOCK_SKEW_MS = 5 * 60_000;

/** How the provider bounds the session: the earliest of these ends it (docs/sso.md, "Session lifetime"). */
interface ProviderLimit {
  by: 'id_token_exp' | 'max_age';
  at: number;
}

/**
 * Single sign-on through an OpenID Provider: starts the authorization code flow, and turns
 * the provider's validated answer into a Sophon user (found by link, linked by verified
 * email, or created), their mapped role in the SSO tenant, and a normal session — all in one
 * transaction with its audit events.
 */
export class SsoService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #guards: AccessGuards;
  readonly #auth: AuthService;
  readonly #throttle: AddressThrottle;
  readonly #starts: SsoStartThrottle;
  readonly #settings: SsoSettings | undefined;
  readonly #provider: IdentityProvider | undefined;

  constructor(context: DomainContext, access: AccessService, guards: AccessGuards, auth: AuthService, throttle: AddressThrottle, provider: IdentityProvider | undefined) {
    this.#guards = guards;
    this.#context = context;
    this.#access = access;
    this.#auth = auth;
    this.#throttle = throttle;
    this.#starts = new SsoStartThrottle(context);
    this.#settings = context.settings.sso?.enabled ? context.settings.sso : undefined;
    this.#provider = this.#settings ? provider : undefined;
  }

  get enabled(): boolean {
    return this.#settings !== undefined && this.#provider !== undefined;
  }

  publicConfig(loginUrl: string): SsoPublicConfig {
    return this.#settings ? { enabled: true, buttonLabel: this.#settings.buttonLabel, loginUrl } : { enabled: false };
  }

  /**
   * Starts a sign-in: the provider's authorization URL (PKCE S256, state, nonce), with the
   * verifier and nonce kept in the database under the hash of the state. The caller hands
   * the state to the browser in a cookie, which the callback must bring back.
   *
   * Each start stores a row, so starts are counted per address (SsoStartThrottle): past
   * SSO_STARTS_PER_ADDRESS unfinished ones in the window, SSO_TOO_MANY_STARTS (429).
   */
  async begin(redirectUri: string, origin: Pick<Origin, 'ip'>): Promise<{ url: string; state: string; expiresAt: number }> {
    const { settings, provider } = this.#require();
    const { store, clock } = this.#context;
    // Every start writes a row: an address locked for failed sign-ins can't start more (checked, not counted).
    const attempt = await this.#throttle.beginFromAddress(origin);
    if (!attempt.allowed) throw ssoTooManyAttempts();
    await this.#throttle.succeeded(attempt, true);
    const start = await this.#starts.count(origin.ip);
    if (!start.allowed) throw ssoTooManyStarts(Math.max(1, Math.ceil(start.retryAfterMs / 1000)));
    try {
      const request = await provider.startAuthorization(redirectUri);
      const now = clock.now();
      const expiresAt = now.getTime() + SSO_LOGIN_STATE_LIFETIME_MS;
      await store.ssoLoginStates.deleteExpired(now.toISOString());
      await store.ssoLoginStates.create({
        id: newId(),
        stateHash: hashSecret(request.state),
        codeVerifier: request.codeVerifier,
        nonce: request.nonce,
        issuer: settings.issuer,
        createdAt: now.toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
        consumedAt: null,
      });
      return { url: request.url, state: request.state, expiresAt };
    } catch (error) {
      // No login state stored (the provider is unreachable, say): nothing to hold against the address.
      await this.#starts.giveBack(origin.ip);
      throw error;
    }
  }

  /**
   * Finishes a sign-in at the callback. The state must be in the URL and in the browser's
   * cookie (so an attacker can't finish their own sign-in in someone else's browser), unspent
   * and unexpired; it is spent before anything else, so a replayed callback fails.
   *
   * Each callback is counted against its source address first (per-address throttle) and given
   * back when it signs someone in: a refused callback stays counted, and an address over the
   * limit is refused (SSO_TOO_MANY_ATTEMPTS) without touching anything else, unaudited. A
   * callback from a browser that sent no state cookie at all is counted but not audited: it is
   * noise (a bookmarked or forged URL), not somebody's sign-in.
   */
  async complete(input: { callbackUrl: URL; browserState: string | undefined; origin: Origin; previousSessionToken?: string }): Promise<SsoLoginResult> {
    const { settings, provider } = this.#require();
    const attempt = await this.#throttle.beginFromAddress(input.origin);
    if (!attempt.allowed) throw ssoTooManyAttempts();
    let identity: VerifiedIdentity | undefined;
    // The existing account the sign-in is for, once known: a refusal is recorded in its trail.
    const seen: Seen = {};
    try {
      const expected = await this.#spendState(input.callbackUrl, input.browserState);
      // The browser came back with the state its start stored: that start was not abandoned.
      await this.#starts.giveBack(input.origin.ip);
      identity = await provider.finishAuthorization(input.callbackUrl, expected);
      this.#checkIssuedAt(identity);
      const verified = identity;
      const result = await this.#context.store.transaction((tx) => this.#signIn(tx, settings, verified, input.origin, input.previousSessionToken, seen));
      await this.#throttle.succeeded(attempt, true);
      return result;
    } catch (error) {
      // Not the caller's doing (the provider or the database is down, a mapped role is missing): not counted.
      if (!(error instanceof DomainError) || error.kind === 'unavailable') await this.#throttle.succeeded(attempt, true);
      else await this.#throttle.failed(attempt);
      const noise = error instanceof DomainError && error.code === 'SSO_STATE_INVALID' && !input.browserState;
      if (error instanceof DomainError && !noise) await this.#auditFailure(error, identity, seen, input.origin);
      throw error;
    }
  }

  /**
   * Start-time checks of what can be checked without the provider: the tenant and every
   * role the mappings name. Problems are warnings (a role can be created later), and the
   * same problems refuse the logins they affect, with a clear code.
   */
  async checkConfiguration(): Promise<string[]> {
    const settings = this.#settings;
    if (!settings) return [];
    const { store } = this.#context;
    const notes: string[] = [];
    if (settings.autoCreateUsers && settings.defaultRole !== undefined && settings.allowedEmailDomains.length === 0) {
      notes.push(
        `Sophon:Auth:Sso:AutoCreateUsers is on, DefaultRole is "${settings.defaultRole}" and AllowedEmailDomains is empty: anyone with an account at the provider gets ${settings.defaultRole} in tenant "${settings.tenant}" at their first sign-in. Unless the provider admits only your people, set Sophon:Auth:Sso:AllowedEmailDomains, remove DefaultRole, or turn AutoCreateUsers off.`,
      );
    }
    const tenant = await store.tenants.getBySlug(settings.tenant);
    if (!tenant) return [...notes, `Sophon:Auth:Sso:Tenant names the tenant "${settings.tenant}", which does not exist: every SSO sign-in will be refused until it is created.`];
    const references = [
      ...settings.roleMappings.map((mapping) => ({ setting: `Sophon:Auth:Sso:RoleMappings:${mapping.group}`, role: mapping.role })),
      ...(settings.defaultRole === undefined ? [] : [{ setting: 'Sophon:Auth:Sso:DefaultRole', role: settings.defaultRole }]),
    ];
    for (const reference of references) {
      if (!(await findRole(store, tenant.id, reference.role))) {
        notes.push(`${reference.setting} names the role "${reference.role}", which does not exist in tenant "${tenant.slug}": sign-ins mapped to it will be refused (SSO_ROLE_UNKNOWN) until it is created.`);
      }
    }
    if (references.length === 0) notes.push('Sophon:Auth:Sso has no RoleMappings and no DefaultRole: every SSO sign-in will be refused (SSO_NO_ROLE_MAPPING).');
    return notes;
  }

  #require(): { settings: SsoSettings; provider: IdentityProvider } {
    if (!this.#settings || !this.#provider) throw ssoNotConfigured();
    return { settings: this.#settings, provider: this.#provider };
  }

  /**
   * The provider's `iat`, by the domain's clock: a token issued further in the future than the
   * clock-skew allowance is refused (a forged or replayed-ahead token, or a provider whose clock is wrong).
   */
  #checkIssuedAt(identity: VerifiedIdentity): void {
    const now = this.#context.clock.now().getTime();
    if (!Number.isFinite(identity.issuedAt) || identity.issuedAt > now + ID_TOKEN_CLOCK_SKEW_MS) {
      const ahead = Math.round((identity.issuedAt - now) / 1000);
      throw ssoTokenInvalid(
        `the ID token was issued ${Number.isFinite(ahead) ? `${ahead} seconds` : 'at a time'} ahead of this server's clock, more than the ${ID_TOKEN_CLOCK_SKEW_MS / 60_000} minutes allowed; check the clocks of Sophon and the provider`,
        'issued_at',
      );
    }
  }

  async #spendState(callbackUrl: URL, browserState: string | undefined): Promise<{ state: string; nonce: string; codeVerifier: string }> {
    const state = callbackUrl.searchParams.get('state');
    if (!state) throw ssoStateInvalid('the answer carries no state');
    if (!browserState) throw ssoStateInvalid('this browser did not start a sign-in, or took too long');
    if (!secretsEqual(browserState, state)) throw ssoStateInvalid('the state does not belong to this browser');
    const spent = await this.#context.store.ssoLoginStates.consume(hashSecret(state), this.#context.clock.now().toISOString());
    if (!spent) throw ssoStateInvalid('the sign-in expired or was already completed');
    if (spent.issuer !== this.#settings?.issuer) throw ssoStateInvalid('the identity provider changed since the sign-in started');
    return { state, nonce: spent.nonce, codeVerifier: spent.codeVerifier };
  }

  async #signIn(
    tx: Store,
    settings: SsoSettings,
    identity: VerifiedIdentity,
    origin: Origin,
    previousSessionToken: string | undefined,
    seen: Seen,
  ): Promise<SsoLoginResult> {
    const now = this.#context.clock.now();
    const tenant = await tx.tenants.getBySlug(settings.tenant);
    if (!tenant) throw ssoTenantUnknown(settings.tenant);
    // OpenID Connect: at most 255 ASCII characters; a control character couldn't even be stored on PostgreSQL.
    if (identity.subject.length > 255 || CONTROL_CHARACTERS.test(identity.subject)) throw ssoClaimsInvalid('sub', 'longer than 255 characters or with control characters');

    // 1. Who: the linked account, else the account with the verified email (linked now, if allowed), else a new one.
    const link = await tx.externalIdentities.get(identity.issuer, identity.subject);
    let user = link ? await tx.users.getById(link.userId) : undefined;
    seen.user = user;
    const linkNeeded = !user;
    let email: string | undefined;
    // Who may sign in at all: with AllowedEmailDomains, a verified email at one of them, at every sign-in (linked accounts too).
    if (settings.allowedEmailDomains.length > 0) {
      email = this.#verifiedEmail(settings, identity);
      const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
      if (!settings.allowedEmailDomains.includes(domain)) throw ssoEmailDomainNotAllowed(domain);
    }
    let linkingExisting = false;
    if (!user) {
      email ??= this.#verifiedEmail(settings, identity);
      const existing = await tx.users.getByEmail(normalizeEmail(email));
      if (existing) {
        seen.candidate = existing;
        // One account per provider: a second subject claiming a linked account's email is refused, not silently added.
        if ((await tx.externalIdentities.listForUser(existing.id)).some((other) => other.issuer === identity.issuer)) throw ssoAccountLinkedElsewhere();
        // Whoever created the account may still hold its password or tokens (account planting): linking is opt-in,
        // and only for accounts the SSO tenant's own admins control.
        if (!settings.linkExistingAccountsByEmail) throw ssoAccountExists(existing.email, 'linking off');
        if (existing.homeTenantId !== tenant.id) {
          const home = await tx.tenants.getById(existing.homeTenantId);
          throw ssoAccountExists(existing.email, { homeTenant: home?.slug ?? existing.homeTenantId, ssoTenant: tenant.slug });
        }
        user = existing;
        seen.user = existing;
        linkingExisting = true;
      } else if (!settings.autoCreateUsers) {
        throw ssoUserNotProvisioned(email);
      }
    }
    if (user && user.status !== 'active') throw ssoAccountSuspended();

    // 2. Which role: the first mapping whose group the user is in, else the default role; resolved in the SSO tenant.
    const groups = groupsOf(identity.claims, settings.groupClaim);
    const decision = chooseRole(groups, settings.roleMappings, settings.defaultRole);
    if (decision.kind === 'none') throw ssoNoRoleMapping(settings.groupClaim, groups);
    const role = await findRole(tx, tenant.id, decision.role);
    if (!role) throw ssoRoleUnknown(decision.role, tenant.slug, decision.kind === 'mapped' ? `Sophon:Auth:Sso:RoleMappings:${decision.group}` : 'Sophon:Auth:Sso:DefaultRole');
    const source = { via: 'sso', issuer: identity.issuer, ...(decision.kind === 'mapped' ? { group: decision.group } : { defaultRole: true }) };

    let created = false;
    if (!user) {
      user = await this.#createUser(tx, tenant, identity, email!, role, origin);
      created = true;
    }
    if (linkNeeded) {
      // An existing account: the credentials that existed before its owner proved who they are are retired with the link.
      const retirement = linkingExisting ? await this.#retireEarlierCredentials(tx, user, now.toISOString()) : undefined;
      if (retirement) user = retirement.user;
      await tx.externalIdentities.create({ issuer: identity.issuer, subject: identity.subject, userId: user.id, createdAt: now.toISOString(), lastLoginAt: null });
      await recordAudit(this.#context, tx, null, {
        tenantId: user.homeTenantId,
        category: 'users',
        action: 'identity.linked',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: null, after: { issuer: identity.issuer, subject: identity.subject } },
        detail: { via: 'sso', matchedBy: created ? 'created' : 'verified email', email: user.email, ...(retirement ? { retired: retirement.retired } : {}) },
      }, origin);
    }

    // 3. The role, on every sign-in: the provider's groups are the source of truth for the SSO tenant.
    await this.#applyRole(tx, user, tenant, role, source, origin);

    // 4. The session, bounded by the provider.
    const limit = this.#providerLimit(settings, identity);
    if (limit && limit.at <= now.getTime()) throw ssoSessionTooShort();
    await tx.externalIdentities.recordLogin(identity.issuer, identity.subject, now.toISOString());
    const result = await this.#auth.startSingleSignOnSession(tx, user, origin, previousSessionToken, {
      ...(limit ? { notAfter: limit.at } : {}),
      detail: { issuer: identity.issuer, subject: identity.subject, role: role.name, tenant: tenant.slug, ...(limit ? { providerLimit: { by: limit.by, at: new Date(limit.at).toISOString() } } : {}) },
    });
    return { ...result, created };
  }

  /**
   * Linking an existing account to the provider: whatever let someone in before the owner proved
   * their identity at the provider stops working — every open session, every API token, unused
   * invitation and reset links, and an initial password never used (mustChangePassword: whoever
   * set it, an admin, knows it). A password the user chose themselves stays: they proved it.
   */
  async #retireEarlierCredentials(tx: Store, user: StoredUser, at: string): Promise<{ user: StoredUser; retired: Record<string, unknown> }> {
    const sessions = await tx.sessions.endAllForUser(user.id, at, 'account linked to single sign-on');
    const tokens = (await tx.tokens.listForUser(user.id)).filter((token) => token.revokedAt === null);
    for (const token of tokens) await tx.tokens.revoke(token.id, at);
    await tx.links.retireUnused(user.id, 'invitation', at);
    await tx.links.retireUnused(user.id, 'password_reset', at);
    const initialPassword = user.mustChangePassword && hasUsablePassword(user.passwordHash);
    let updated = user;
    if (initialPassword) {
      const changes = { passwordHash: NO_PASSWORD_HASH, mustChangePassword: false, passwordExpiresAt: null, updatedAt: at };
      await tx.users.update(user.id, changes);
      updated = { ...user, ...changes };
    }
    return {
      user: updated,
      retired: { sessions, apiTokens: tokens.length, apiTokenIds: tokens.slice(0, 100).map((token) => token.id), unusedOneTimeLinks: true, initialPassword },
    };
  }

  /** The email the provider vouches for: `email_verified: true` (the boolean; not the string "true"), or any email with TrustEmail. */
  #verifiedEmail(settings: SsoSettings, identity: VerifiedIdentity): string {
    const claim = identity.claims.email;
    if (typeof claim !== 'string' || claim.trim() === '') throw ssoEmailMissing();
    let email: string;
    try {
      email = checkEmail(claim);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'EMAIL_INVALID') throw ssoClaimsInvalid('email', 'not a valid email address');
      throw error;
    }
    const verified = identity.claims.email_verified === true;
    if (!verified && !settings.trustEmail) throw ssoEmailNotVerified(email);
    return email;
  }

  /** A user at home in the SSO tenant, without a password (their credential is at the provider). */
  async #createUser(tx: Store, tenant: Tenant, identity: VerifiedIdentity, email: string, role: Role, origin: Origin): Promise<StoredUser> {
    const now = this.#context.clock.now().toISOString();
    const user: StoredUser = {
      id: newId(),
      email,
      displayName: displayNameOf(identity.claims, email),
      homeTenantId: tenant.id,
      status: 'active',
      mustChangePassword: false,
      passwordHash: NO_PASSWORD_HASH,
      passwordExpiresAt: null,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      lastLoginIp: null,
      lastLoginUserAgent: null,
    };
    await tx.users.create(user);
    await recordAudit(this.#context, tx, null, {
      tenantId: tenant.id,
      category: 'users',
      action: 'user.created',
      subjectType: 'user',
      subjectId: user.id,
      diff: { before: null, after: { email, displayName: user.displayName, role: role.name, tenant: tenant.slug } },
      detail: { via: 'sso', issuer: identity.issuer },
    }, origin);
    return user;
  }

  /**
   * Sets the mapped role in the SSO tenant when it differs (an `rbac` event). The last active
   * Admin of `default` is never demoted by a mapping — as with every other demotion — so the
   * change is skipped and that is recorded instead.
   */
  async #applyRole(tx: Store, user: StoredUser, tenant: Tenant, role: Role, source: Record<string, unknown>, origin: Origin): Promise<void> {
    const current = await tx.assignments.get(tenant.id, user.id);
    if (current?.roleId === role.id) return;
    const previous = current ? await tx.roles.getById(current.roleId) : undefined;
    const diff = { before: previous ? { role: previous.name } : null, after: { role: role.name } };
    if (current?.roleId === ADMIN_ROLE_ID) {
      // The same rule as every other demotion (AccessGuards.guardLastAdmin); here it skips the change instead of failing the sign-in.
      const refusal = await this.#guards.guardLastAdmin(tx, user.id, tenant.id).then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof DomainError && error.code === 'LAST_ADMIN') return error;
          throw error;
        },
      );
      if (refusal) {
        await recordAudit(this.#context, tx, null, {
          tenantId: tenant.id,
          category: 'rbac',
          action: 'role.assignment_skipped',
          outcome: 'failure',
          subjectType: 'user',
          subjectId: user.id,
          diff,
          detail: { ...source, reason: refusal.code },
        }, origin);
        return;
      }
    }
    await tx.assignments.set({ userId: user.id, tenantId: tenant.id, roleId: role.id, assignedAt: this.#context.clock.now().toISOString(), assignedBy: null });
    await tx.assignments.endElevation(tenant.id, user.id);
    await recordAudit(this.#context, tx, null, { tenantId: tenant.id, category: 'rbac', action: 'role.assigned', subjectType: 'user', subjectId: user.id, diff, detail: source }, origin);
  }

  /** The earliest end the provider sets: the ID token's `exp` (SessionEndsWithIdToken) and `auth_time` + MaxAge. */
  #providerLimit(settings: SsoSettings, identity: VerifiedIdentity): ProviderLimit | undefined {
    const limits: ProviderLimit[] = [];
    if (settings.sessionEndsWithIdToken) limits.push({ by: 'id_token_exp', at: identity.idTokenExpiresAt });
    if (settings.maxAge !== undefined && identity.authTime !== null) limits.push({ by: 'max_age', at: identity.authTime + settings.maxAge });
    return limits.reduce<ProviderLimit | undefined>((earliest, limit) => (!earliest || limit.at < earliest.at ? limit : earliest), undefined);
  }

  /** A refused sign-in, in the trail of the user's home tenant when known, else the SSO tenant's (else `default`'s). */
  async #auditFailure(error: DomainError, identity: VerifiedIdentity | undefined, seen: Seen, origin: Origin): Promise<void> {
    const { store } = this.#context;
    const user = seen.user;
    const tenantId = user?.homeTenantId ?? (await store.tenants.getBySlug(this.#settings?.tenant ?? DEFAULT_TENANT_SLUG))?.id ?? (await this.#access.defaultTenant()).id;
    const email = typeof identity?.claims.email === 'string' ? printable(identity.claims.email.slice(0, 254)) : undefined;
    await recordAudit(
      this.#context,
      store,
      user ? { userId: user.id, email: user.email, tenantId, ip: origin.ip, userAgent: origin.userAgent } : null,
      {
        tenantId,
        category: 'auth',
        action: 'login.failed',
        outcome: 'failure',
        subjectType: 'user',
        subjectId: user?.id ?? seen.candidate?.id ?? null,
        detail: {
          method: 'sso',
          reason: error.code,
          message: printable(error.message),
          // Which of Sophon's own ID token checks failed (signature, algorithm, signing_key, issued_at).
          ...(typeof error.details.check === 'string' ? { check: error.details.check } : {}),
          ...(identity ? { issuer: identity.issuer, subject: printable(identity.subject.slice(0, 255)) } : {}),
          ...(email ? { email } : {}),
        },
      },
      origin,
    );
  }
}

/** A role usable in the tenant by id or name (built-ins case-insensitively, as everywhere); undefined if none. */
async function findRole(store: Store, tenantId: string, reference: string): Promise<Role | undefined> {
  try {
    return await resolveRole(store, tenantId, reference);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'ROLE_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * `name`, else given + family name, else `preferred_username`, else the email's local part. A
 * name Sophon refuses (a control character) refuses the sign-in (SSO_CLAIMS_INVALID) rather than
 * falling through to another claim: the provider's data needs fixing.
 */
function displayNameOf(claims: Record<string, unknown>, email: string): string {
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
  const candidates: [claim: string, value: string][] = [
    ['name', text(claims.name)],
    ['given_name/family_name', [text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ')],
    ['preferred_username', text(claims.preferred_username)],
    ['email', email.split('@')[0]!],
  ];
  const [claim, name] = candidates.find(([, candidate]) => candidate.length > 0) ?? ['email', email];
  try {
    return checkDisplayName(name.slice(0, 200));
  } catch (error) {
    if (error instanceof DomainError && error.code === 'DISPLAY_NAME_INVALID') throw ssoClaimsInvalid(claim, 'it contains control characters');
    throw error;
  }
}
