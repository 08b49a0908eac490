import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { invalid, unauthenticated } from '../errors.ts';
import { hashSecret, newId, newSecret, secretsEqual } from '../ids.ts';
import type { Actor, DomainContext } from '../context.ts';
import { checkPasswordPolicy, hashPassword, verifyAgainstDecoy, verifyPassword } from '../users/passwords.ts';
import { normalizeEmail, publicUser, type StoredUser, type User } from '../users/user.ts';
import type { ApiToken } from '../tokens/api-token.ts';
import type { Session } from './session.ts';

export interface Origin {
  ip: string | null;
  userAgent: string | null;
}

export interface LoginResult {
  user: User;
  session: Session;
  /** The cookie value and the CSRF token: handed to the client once, stored only as hashes. */
  sessionToken: string;
  csrfToken: string;
  mustChangePassword: boolean;
}

export type Authenticated =
  | { user: StoredUser; via: 'session'; session: Session }
  | { user: StoredUser; via: 'token'; token: ApiToken };

/** Don't write "last seen" on every request: once a minute is precise enough for idle timeouts of hours. */
const TOUCH_INTERVAL_MS = 60_000;

const badCredentials = () => unauthenticated('INVALID_CREDENTIALS', 'The email or password is incorrect, or the account cannot sign in.');

export class AuthService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  /**
   * Password login. Unknown email, wrong password and suspended account answer the same
   * error after the same amount of hashing work, so the answer reveals no account.
   */
  async login(email: string, password: string, origin: Origin, previousSessionToken?: string): Promise<LoginResult> {
    const { store, clock } = this.#context;
    const user = await store.users.getByEmail(normalizeEmail(email));
    const passwordOk = user ? await verifyPassword(user.passwordHash, password) : (await verifyAgainstDecoy(password), false);
    // A one-time password an admin set stops working after Sophon:Auth:InitialPasswordLifetime.
    const oneTimeExpired = !!user?.mustChangePassword && !!user.passwordExpiresAt && clock.now().getTime() >= Date.parse(user.passwordExpiresAt);
    if (!user || !passwordOk || user.status !== 'active' || oneTimeExpired) {
      const reason = !user ? 'unknown email' : !passwordOk ? 'wrong password' : user.status !== 'active' ? 'account suspended' : 'one-time password expired';
      const home = user ? user.homeTenantId : (await this.#access.defaultTenant()).id;
      await recordAudit(
        this.#context,
        store,
        user ? { userId: user.id, email: user.email, tenantId: home, ...origin } : null,
        { tenantId: home, category: 'auth', action: 'login.failed', outcome: 'failure', subjectType: 'user', subjectId: user?.id ?? null, detail: { email: email.slice(0, 254), reason } },
        origin,
      );
      // Only someone who knows the password learns that it expired, so saying so reveals nothing.
      if (oneTimeExpired && passwordOk && user?.status === 'active') {
        throw unauthenticated('ONE_TIME_PASSWORD_EXPIRED', 'Your one-time password has expired; ask your administrator to reset your password.');
      }
      throw badCredentials();
    }
    const now = clock.now();
    const sessionToken = newSecret();
    const csrfToken = newSecret();
    const session: Session = {
      id: newId(),
      userId: user.id,
      tokenHash: hashSecret(sessionToken),
      csrfHash: hashSecret(csrfToken),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.#context.settings.sessionAbsoluteTimeout).toISOString(),
      ip: origin.ip,
      userAgent: origin.userAgent,
      endedAt: null,
      endReason: null,
    };
    await store.transaction(async (tx) => {
      // Rotation: the session a browser came in with is replaced, never reused.
      if (previousSessionToken) {
        const previous = await tx.sessions.getByTokenHash(hashSecret(previousSessionToken));
        if (previous && !previous.endedAt) await tx.sessions.end(previous.id, now.toISOString(), 'replaced at login');
      }
      await tx.sessions.create(session);
      await tx.users.update(user.id, { lastLoginAt: now.toISOString(), lastLoginIp: origin.ip, lastLoginUserAgent: origin.userAgent });
      await recordAudit(this.#context, tx, { userId: user.id, email: user.email, tenantId: user.homeTenantId, ...origin }, {
        category: 'auth',
        action: 'login.succeeded',
        subjectType: 'session',
        subjectId: session.id,
      });
    });
    return { user: publicUser(user), session, sessionToken, csrfToken, mustChangePassword: user.mustChangePassword };
  }

  /** Resolves a session cookie, enforcing the idle and absolute timeouts on every request. */
  async authenticateSession(sessionToken: string): Promise<Authenticated & { via: 'session' }> {
    const { store, clock, settings } = this.#context;
    const session = await store.sessions.getByTokenHash(hashSecret(sessionToken));
    if (!session || session.endedAt || !secretsEqual(session.tokenHash, hashSecret(sessionToken))) {
      throw unauthenticated('SESSION_INVALID', 'Your session has ended; sign in again.');
    }
    const now = clock.now();
    const idleDeadline = Date.parse(session.lastSeenAt) + settings.sessionIdleTimeout;
    if (now.getTime() >= Date.parse(session.expiresAt) || now.getTime() >= idleDeadline) {
      await store.sessions.end(session.id, now.toISOString(), 'expired');
      throw unauthenticated('SESSION_EXPIRED', 'Your session has expired; sign in again.');
    }
    const user = await this.#activeUser(session.userId);
    if (now.getTime() - Date.parse(session.lastSeenAt) >= TOUCH_INTERVAL_MS) await store.sessions.touch(session.id, now.toISOString());
    return { user, via: 'session', session };
  }

  /** Resolves an API token: revoked or expired tokens and suspended users answer 401 at once. */
  async authenticateToken(tokenValue: string): Promise<Authenticated & { via: 'token' }> {
    const { store, clock } = this.#context;
    const tokenHash = hashSecret(tokenValue);
    const token = await store.tokens.getByHash(tokenHash);
    if (!token || token.revokedAt || !secretsEqual(token.tokenHash, tokenHash)) {
      throw unauthenticated('TOKEN_INVALID', 'This API token is not valid or has been revoked.');
    }
    const now = clock.now();
    if (token.expiresAt && now.getTime() >= Date.parse(token.expiresAt)) {
      throw unauthenticated('TOKEN_EXPIRED', `This API token expired at ${token.expiresAt}; create a new one.`);
    }
    const user = await this.#activeUser(token.userId);
    if (!token.lastUsedAt || now.getTime() - Date.parse(token.lastUsedAt) >= TOUCH_INTERVAL_MS) await store.tokens.touch(token.id, now.toISOString());
    return { user, via: 'token', token };
  }

  /** Checks a CSRF token against the session's, in constant time. */
  csrfMatches(session: Session, csrfToken: string | undefined): boolean {
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

  /** Changes the caller's own password; other sessions end unless the caller keeps them. */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string, options: { endOtherSessions?: boolean } = {}): Promise<{ endedSessions: number }> {
    const { store, clock, settings } = this.#context;
    const user = await store.users.getById(actor.userId);
    if (!user) throw unauthenticated('SESSION_INVALID', 'Your account no longer exists.');
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      await recordAudit(this.#context, store, actor, { tenantId: user.homeTenantId, category: 'auth', action: 'password.change_failed', outcome: 'failure', subjectType: 'user', subjectId: user.id });
      throw invalid('CURRENT_PASSWORD_WRONG', 'The current password is incorrect.');
    }
    checkPasswordPolicy(newPassword, settings.passwordMinLength, { email: user.email });
    if (newPassword === currentPassword) throw invalid('PASSWORD_UNCHANGED', 'The new password must differ from the current one.');
    const passwordHash = await hashPassword(newPassword);
    return store.transaction(async (tx) => {
      const now = clock.now().toISOString();
      await tx.users.update(user.id, { passwordHash, mustChangePassword: false, passwordExpiresAt: null, updatedAt: now });
      const endedSessions = options.endOtherSessions === false ? 0 : await tx.sessions.endAllForUser(user.id, now, 'password changed', actor.sessionId ?? undefined);
      await recordAudit(this.#context, tx, actor, {
        tenantId: user.homeTenantId,
        category: 'auth',
        action: 'password.changed',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { mustChangePassword: user.mustChangePassword }, after: { mustChangePassword: false } },
        detail: { endedSessions },
      });
      return { endedSessions };
    });
  }

  async #activeUser(userId: string): Promise<StoredUser> {
    const user = await this.#context.store.users.getById(userId);
    if (!user) throw unauthenticated('SESSION_INVALID', 'This account no longer exists.');
    if (user.status !== 'active') throw unauthenticated('ACCOUNT_SUSPENDED', 'This account is suspended; ask an administrator to re-activate it.');
    return user;
  }
}
