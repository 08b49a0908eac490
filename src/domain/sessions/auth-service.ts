import type { AuthorizationFacts, OwnerFacts, SessionFacts, TokenFacts } from '../access/authorization-facts.ts';
import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { DomainError } from '../errors.ts';
import { hashSecret, newId, newSecret, secretsEqual } from '../ids.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { LoginThrottle } from '../login-throttle/login-throttle-service.ts';
import type { Store } from '../store.ts';
import type { SecondFactor, TwoFactorService } from '../two-factor/two-factor-service.ts';
import { checkPasswordPolicy, hashPassword, hasUsablePassword, verifyAgainstDecoy, verifyPassword } from '../users/passwords.ts';
import { normalizeEmail, publicUser, type StoredUser, type User } from '../users/user.ts';
import type { ApiToken } from '../tokens/api-token.ts';
import type { AuthenticationPolicyService } from './authentication-policy-service.ts';
import { LOGIN_CHALLENGE_LIFETIME_MS, LOGIN_CHALLENGE_MAX_FAILURES, type LoginChallenge } from './login-challenge.ts';
import { sessionDeadline, type Session, type SessionMethod } from './session.ts';
import { fail } from '../error-catalogue.ts';

export interface Origin {
  ip: string | null;
  userAgent: string | null;
  /** The trusted-device cookie, when the browser has one. */
  deviceToken?: string;
}

export interface LoginResult {
  twoFactorRequired: false;
  user: User;
  session: Session;
  /** The cookie value and the CSRF token: handed to the client once, stored only as hashes. */
  sessionToken: string;
  csrfToken: string;
  mustChangePassword: boolean;
  /** The user must enrol in 2FA before anything else (a Require 2FA policy applies). */
  twoFactorEnrollmentRequired: boolean;
  /** When the session ends if unused (idle) or at the latest (absolute): the cookie's lifetime. */
  expiresAt: number;
  /** A fresh trusted-device token for this browser; absent without a server key. */
  deviceToken?: string;
}

/** The password was right and the account has 2FA: the second step needs this challenge. */
export interface TwoFactorChallengeResult {
  twoFactorRequired: true;
  challenge: string;
  expiresAt: string;
}

/** Who a request's credential belongs to, with the fields of the credential and owner its checks use. */
export type Authenticated =
  | { user: OwnerFacts; via: 'session'; session: SessionFacts; expiresAt: number; touched: boolean }
  | { user: OwnerFacts; via: 'token'; token: TokenFacts };

/** Don't write "last seen" on every request: once a minute (or a tenth of a short idle timeout) is precise enough. */
const TOUCH_INTERVAL_MS = 60_000;

/** A token's last use is recorded at most once a minute. */
const tokenTouchDue = (token: { lastUsedAt: string | null }, now: number): boolean => !token.lastUsedAt || now - Date.parse(token.lastUsedAt) >= TOUCH_INTERVAL_MS;

/** A session's activity is recorded at most once a minute, or a tenth of its idle timeout if shorter. */
const sessionTouchDue = (session: { lastSeenAt: string }, policy: { idleTimeout: number }, now: number): boolean =>
  now - Date.parse(session.lastSeenAt) >= Math.min(TOUCH_INTERVAL_MS, policy.idleTimeout / 10);

const badCredentials = () => fail('INVALID_CREDENTIALS');
const challengeInvalid = () => fail('LOGIN_CHALLENGE_INVALID');
const secondFactorInvalid = () => fail('TWO_FACTOR_CODE_INVALID');

export class AuthService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #twoFactor: TwoFactorService;
  readonly #throttle: LoginThrottle;
  readonly #policy: AuthenticationPolicyService;

  constructor(context: DomainContext, access: AccessService, twoFactor: TwoFactorService, throttle: LoginThrottle, policy: AuthenticationPolicyService) {
    this.#context = context;
    this.#access = access;
    this.#twoFactor = twoFactor;
    this.#throttle = throttle;
    this.#policy = policy;
  }

  /**
   * Password login, the first step. Unknown email, wrong password, suspended account and a
   * throttled attempt answer the same error after the same hashing work, so the answer
   * reveals neither the account nor the lock. With 2FA on, the answer is a challenge for
   * the second step, not a session.
   */
  async login(email: string, password: string, origin: Origin, previousSessionToken?: string): Promise<LoginResult | TwoFactorChallengeResult> {
    const { store, clock } = this.#context;
    const user = await store.users.getByEmail(normalizeEmail(email));
    const attempt = await this.#throttle.begin(email, user?.id, origin);
    if (!attempt.allowed) {
      await verifyAgainstDecoy(password);
      await this.#auditFailure(user, email, origin, 'login.failed', { reason: 'throttled', lockedBy: attempt.lockedBy });
      throw badCredentials();
    }
    // An account single sign-on created has no password: checked against the decoy, so it looks like any other.
    const passwordOk = user && hasUsablePassword(user.passwordHash) ? await verifyPassword(user.passwordHash, password) : (await verifyAgainstDecoy(password), false);
    // A one-time password an admin set stops working after Sophon:Auth:InitialPasswordLifetime.
    const oneTimeExpired = !!user?.mustChangePassword && !!user.passwordExpiresAt && clock.now().getTime() >= Date.parse(user.passwordExpiresAt);
    if (!user || !passwordOk || user.status !== 'active' || oneTimeExpired) {
      const reason = !user ? 'unknown email' : !hasUsablePassword(user.passwordHash) ? 'no password (single sign-on account)' : !passwordOk ? 'wrong password' : user.status !== 'active' ? 'account suspended' : 'one-time password expired';
      // Only someone who knows the password learns that it expired, so saying so reveals nothing; nor is it a guess.
      const rightButExpired = oneTimeExpired && passwordOk && user?.status === 'active';
      await (rightButExpired ? this.#throttle.succeeded(attempt, false) : this.#throttle.failed(attempt));
      await this.#auditFailure(user, email, origin, 'login.failed', { reason, trustedDevice: attempt.trustedDevice });
      if (rightButExpired) {
        throw fail('ONE_TIME_PASSWORD_EXPIRED');
      }
      throw badCredentials();
    }
    if (await this.#twoFactor.isEnabled(user.id)) {
      // The password is right, but the account's run of failures goes on until the second factor is right too.
      await this.#throttle.succeeded(attempt, false);
      return this.#issueChallenge(user, origin);
    }
    const result = await store.transaction((tx) => this.#startSession(tx, user, origin, previousSessionToken, 'password'));
    await this.#throttle.succeeded(attempt, true);
    return result;
  }

  /** The second step: the challenge and a TOTP code or a recovery code → the session. */
  async completeTwoFactorLogin(challengeToken: string, factor: SecondFactor, origin: Origin, previousSessionToken?: string): Promise<LoginResult> {
    const { store, clock } = this.#context;
    const now = clock.now();
    const challenge = await store.loginChallenges.getByTokenHash(hashSecret(challengeToken));
    if (!challenge || !usable(challenge, now.getTime()) || !secretsEqual(challenge.tokenHash, hashSecret(challengeToken))) throw challengeInvalid();
    const user = await store.users.getById(challenge.userId);
    if (!user || user.status !== 'active') throw challengeInvalid();
    const method = 'recoveryCode' in factor ? 'recovery_code' : 'totp';
    const attempt = await this.#throttle.begin(user.email, user.id, origin);
    if (!attempt.allowed) {
      await store.loginChallenges.recordFailure(challenge.id);
      await this.#auditFailure(user, user.email, origin, 'login.two_factor_failed', { reason: 'throttled', method, lockedBy: attempt.lockedBy });
      throw secondFactorInvalid();
    }
    let result: LoginResult;
    try {
      result = await store.transaction(async (tx) => {
        const verified = await this.#twoFactor.verifySecondFactor(tx, user.id, factor);
        if (!(await tx.loginChallenges.consume(challenge.id, now.toISOString()))) throw challengeInvalid();
        return this.#startSession(tx, user, origin, previousSessionToken, verified.method, { detail: verified.recoveryCodesRemaining === undefined ? {} : { recoveryCodesRemaining: verified.recoveryCodesRemaining } });
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'TWO_FACTOR_CODE_INVALID') {
        await this.#throttle.failed(attempt);
        const failures = await store.loginChallenges.recordFailure(challenge.id);
        await this.#auditFailure(user, user.email, origin, 'login.two_factor_failed', { reason: 'wrong code', method, challengeFailures: failures });
      } else {
        await this.#throttle.succeeded(attempt, false);
      }
      throw error;
    }
    await this.#throttle.succeeded(attempt, true);
    return result;
  }

  /**
   * Resolves the request's credential, and reads with it everything the request's authorization
   * needs (see AuthorizationFacts), in one statement: revoked or expired tokens, ended or expired
   * sessions, deleted owners and suspended users answer 401 at once. `tenant` is the
   * X-Sophon-Tenant header as sent (null: the owner's home tenant).
   */
  async authenticate(credential: { kind: 'token' | 'session'; value: string }, tenant: string | null): Promise<Authenticated & { facts: AuthorizationFacts }> {
    const hash = hashSecret(credential.value);
    // The request's instant, from the domain clock: a time-bound role grants only before its end.
    const now = this.#context.clock.now().toISOString();
    const query = { credential: credential.kind, hash, tenant, defaultTenantId: await this.#access.defaultTenantId(), now };
    let facts = await this.#context.store.authorization.load(query);
    // Kept facts' touch time may be older than the database's: what is reckoned from it is decided on fresh ones.
    if (facts?.kept && this.#touchDue(facts)) facts = await this.#context.store.authorization.load({ ...query, fresh: true });
    const authenticated = credential.kind === 'token' ? await this.#tokenOf(facts, hash) : await this.#sessionOf(facts, hash);
    return { ...authenticated, facts: facts! };
  }

  /**
   * Whether the credential's touch time decides something now: a touch due (and, for a session,
   * any idle timeout, which is ten times the touch's interval or more). The same rules
   * (tokenTouchDue, sessionTouchDue) as #tokenOf and #sessionOf apply.
   */
  #touchDue(facts: AuthorizationFacts): boolean {
    const now = this.#context.clock.now().getTime();
    if (facts.token) return tokenTouchDue(facts.token, now);
    return facts.session !== undefined && sessionTouchDue(facts.session, this.#sessionPolicy(facts), now);
  }

  /** The policy a session is held to: its owner's home tenant's, over the global one. */
  #sessionPolicy(facts: AuthorizationFacts) {
    return this.#policy.effectiveFrom(facts.policies.global, { slug: facts.homeTenantSlug, record: facts.policies.home });
  }

  async #sessionOf(facts: AuthorizationFacts | undefined, tokenHash: string): Promise<Authenticated & { via: 'session' }> {
    const { store, clock } = this.#context;
    const session = facts?.session;
    if (!session || session.endedAt || !secretsEqual(session.tokenHash, tokenHash)) {
      throw fail('SESSION_INVALID');
    }
    const user = facts.user;
    if (!user || user.id !== session.userId) throw fail('ACCOUNT_DELETED');
    const now = clock.now().getTime();
    const policy = this.#sessionPolicy(facts);
    const deadline = sessionDeadline(session, policy, now);
    if (deadline.expired) {
      await store.sessions.end(session.id, new Date(now).toISOString(), `expired (${deadline.reason})`);
      throw fail('SESSION_EXPIRED');
    }
    if (user.status !== 'active') throw fail('ACCOUNT_SUSPENDED');
    const touched = sessionTouchDue(session, policy, now);
    if (!touched) return { user, via: 'session', session, expiresAt: deadline.expiresAt, touched };
    const lastSeenAt = new Date(now).toISOString();
    await store.sessions.touch(session.id, lastSeenAt);
    return { user, via: 'session', session, expiresAt: sessionDeadline({ ...session, lastSeenAt }, policy, now).expiresAt, touched };
  }

  async #tokenOf(facts: AuthorizationFacts | undefined, tokenHash: string): Promise<Authenticated & { via: 'token' }> {
    const { store, clock } = this.#context;
    const token = facts?.token;
    if (!token || token.revokedAt || !secretsEqual(token.tokenHash, tokenHash)) {
      throw fail('TOKEN_INVALID');
    }
    const now = clock.now();
    if (token.expiresAt && now.getTime() >= Date.parse(token.expiresAt)) {
      throw fail('TOKEN_EXPIRED', { expiresAt: token.expiresAt });
    }
    const user = activeUser(facts.user?.id === token.userId ? facts.user : undefined);
    if (tokenTouchDue(token, now.getTime())) await store.tokens.touch(token.id, now.toISOString());
    return { user, via: 'token', token };
  }

  /** Checks a CSRF token against the session's, in constant time. */
  csrfMatches(session: Pick<Session, 'csrfHash'>, csrfToken: string | undefined): boolean {
    return csrfToken !== undefined && secretsEqual(session.csrfHash, hashSecret(csrfToken));
  }

  async logout(actor: Actor): Promise<void> {
    if (!actor.sessionId) return;
    const sessionId = actor.sessionId;
    await this.#context.store.transaction(async (store) => {
      await store.sessions.end(sessionId, this.#context.clock.now().toISOString(), 'logout');
      await recordAudit(this.#context, store, actor, { tenantId: actor.homeTenantId, category: 'auth', action: 'logout', subjectType: 'session', subjectId: sessionId });
    });
  }

  /**
   * Changes the caller's own password; other sessions end unless the caller keeps them. API
   * tokens keep working unless `revokeTokens`: then every one of them is revoked but the token
   * making this request (the one that proved the current password, as the current session is kept).
   */
  async changePassword(
    actor: Actor,
    currentPassword: string,
    newPassword: string,
    options: { endOtherSessions?: boolean; revokeTokens?: boolean } = {},
  ): Promise<{ endedSessions: number; revokedTokens: number }> {
    const { store, clock, settings } = this.#context;
    const user = await store.users.getById(actor.userId);
    if (!user) throw fail('ACCOUNT_DELETED');
    const attempt = await this.#throttle.beginConfirmation(actor, user.email);
    const currentOk = attempt.allowed ? await verifyPassword(user.passwordHash, currentPassword) : (await verifyAgainstDecoy(currentPassword), false);
    if (!currentOk) {
      await this.#throttle.failed(attempt);
      await recordAudit(this.#context, store, actor, {
        tenantId: user.homeTenantId,
        category: 'auth',
        action: 'password.change_failed',
        outcome: 'failure',
        subjectType: 'user',
        subjectId: user.id,
        detail: { throttled: !attempt.allowed },
      });
      throw attempt.allowed ? fail('CURRENT_PASSWORD_WRONG') : fail('CURRENT_PASSWORD_THROTTLED');
    }
    await this.#throttle.succeeded(attempt, true);
    checkPasswordPolicy(newPassword, settings.passwordMinLength, { email: user.email });
    if (newPassword === currentPassword) throw fail('PASSWORD_UNCHANGED');
    const passwordHash = await hashPassword(newPassword);
    return store.transaction(async (tx) => {
      const now = clock.now().toISOString();
      await tx.users.update(user.id, { passwordHash, mustChangePassword: false, passwordExpiresAt: null, updatedAt: now });
      const endedSessions = options.endOtherSessions === false ? 0 : await tx.sessions.endAllForUser(user.id, now, 'password changed', actor.sessionId ?? undefined);
      const revokedTokens = options.revokeTokens ? await tx.tokens.revokeAllForUser(user.id, now, actor.tokenId ?? undefined) : 0;
      await recordAudit(this.#context, tx, actor, {
        tenantId: user.homeTenantId,
        category: 'auth',
        action: 'password.changed',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { mustChangePassword: user.mustChangePassword }, after: { mustChangePassword: false } },
        detail: { endedSessions, revokeTokens: options.revokeTokens === true, revokedTokens },
      });
      return { endedSessions, revokedTokens };
    });
  }

  async #issueChallenge(user: StoredUser, origin: Origin): Promise<TwoFactorChallengeResult> {
    const now = this.#context.clock.now();
    const token = newSecret();
    const challenge: LoginChallenge = {
      id: newId(),
      userId: user.id,
      tokenHash: hashSecret(token),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + LOGIN_CHALLENGE_LIFETIME_MS).toISOString(),
      consumedAt: null,
      failedAttempts: 0,
    };
    await this.#context.store.transaction(async (tx) => {
      await tx.loginChallenges.create(challenge);
      await recordAudit(this.#context, tx, { userId: user.id, email: user.email, tenantId: user.homeTenantId, ip: origin.ip, userAgent: origin.userAgent }, {
        category: 'auth',
        action: 'login.password_verified',
        subjectType: 'user',
        subjectId: user.id,
        detail: { secondFactor: 'pending' },
      });
    });
    return { twoFactorRequired: true, challenge: token, expiresAt: challenge.expiresAt };
  }

  /**
   * A session for a user an OpenID Provider vouched for (src/domain/sso/sso-service.ts), in the
   * caller's transaction: no local password or TOTP step, and an absolute end no later than
   * `notAfter`, the provider's limit.
   */
  async startSingleSignOnSession(tx: Store, user: StoredUser, origin: Origin, previousSessionToken: string | undefined, options: { notAfter?: number; detail: Record<string, unknown> }): Promise<LoginResult> {
    return this.#startSession(tx, user, origin, previousSessionToken, 'sso', options);
  }

  /** Opens a session in the caller's transaction, with the lifetime of the user's home tenant (and no later than `notAfter`). */
  async #startSession(
    tx: Store,
    user: StoredUser,
    origin: Origin,
    previousSessionToken: string | undefined,
    method: SessionMethod,
    options: { notAfter?: number; detail?: Record<string, unknown> } = {},
  ): Promise<LoginResult> {
    const now = this.#context.clock.now();
    const policy = await this.#policy.effective(user.homeTenantId, tx);
    const absoluteDeadline = Math.min(now.getTime() + policy.absoluteTimeout, options.notAfter ?? Number.POSITIVE_INFINITY);
    const sessionToken = newSecret();
    const csrfToken = newSecret();
    const session: Session = {
      id: newId(),
      userId: user.id,
      tokenHash: hashSecret(sessionToken),
      csrfHash: hashSecret(csrfToken),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(absoluteDeadline).toISOString(),
      ip: origin.ip,
      userAgent: origin.userAgent,
      endedAt: null,
      endReason: null,
      method,
    };
    // Rotation: the session a browser came in with is replaced, never reused.
    if (previousSessionToken) {
      const previous = await tx.sessions.getByTokenHash(hashSecret(previousSessionToken));
      if (previous && !previous.endedAt) await tx.sessions.end(previous.id, now.toISOString(), 'replaced at login');
    }
    await tx.sessions.create(session);
    await tx.users.update(user.id, { lastLoginAt: now.toISOString(), lastLoginIp: origin.ip, lastLoginUserAgent: origin.userAgent });
    await recordAudit(this.#context, tx, { userId: user.id, email: user.email, tenantId: user.homeTenantId, ip: origin.ip, userAgent: origin.userAgent }, {
      category: 'auth',
      action: 'login.succeeded',
      subjectType: 'session',
      subjectId: session.id,
      detail: { method, ...options.detail },
    });
    const twoFactorEnrollmentRequired = method === 'password' && (await this.#twoFactor.enrollmentRequired(user.id, [user.homeTenantId], tx));
    const result: LoginResult = {
      twoFactorRequired: false,
      user: publicUser(user),
      session,
      sessionToken,
      csrfToken,
      mustChangePassword: user.mustChangePassword,
      twoFactorEnrollmentRequired,
      expiresAt: sessionDeadline(session, policy, now.getTime()).expiresAt,
    };
    const deviceToken = this.#throttle.issueDeviceToken(user.id);
    if (deviceToken) result.deviceToken = deviceToken;
    return result;
  }

  async #auditFailure(user: StoredUser | undefined, email: string, origin: Origin, action: string, detail: Record<string, unknown>): Promise<void> {
    const home = user ? user.homeTenantId : (await this.#access.defaultTenant()).id;
    await recordAudit(
      this.#context,
      this.#context.store,
      user ? { userId: user.id, email: user.email, tenantId: home, ip: origin.ip, userAgent: origin.userAgent } : null,
      { tenantId: home, category: 'auth', action, outcome: 'failure', subjectType: 'user', subjectId: user?.id ?? null, detail: { email: email.slice(0, 254), ...detail } },
      origin,
    );
  }

}

function activeUser<U extends Pick<StoredUser, 'status'>>(user: U | undefined): U {
  if (!user) throw fail('ACCOUNT_DELETED');
  if (user.status !== 'active') throw fail('ACCOUNT_SUSPENDED');
  return user;
}

function usable(challenge: LoginChallenge, now: number): boolean {
  return !challenge.consumedAt && now < Date.parse(challenge.expiresAt) && challenge.failedAttempts < LOGIN_CHALLENGE_MAX_FAILURES;
}
