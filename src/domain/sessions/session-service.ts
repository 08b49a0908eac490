import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { UserService } from '../users/user-service.ts';
import type { AuthenticationPolicyService } from './authentication-policy-service.ts';
import { describeDevice } from './device.ts';
import { sessionDeadline, type Session, type SessionDeadline } from './session.ts';

export interface SessionView {
  id: string;
  /** "Firefox on Windows", from the user agent. */
  device: string;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end (at login, the IdP's cap included; brought forward by a shortened policy). */
  expiresAt: string;
  /** When it ends if unused from now on: the earlier of last seen + the idle timeout and `expiresAt`. */
  idleExpiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export function sessionView(session: Session, deadline: SessionDeadline, currentId: string | null): SessionView {
  const { id, createdAt, lastSeenAt, ip, userAgent } = session;
  return {
    id,
    device: describeDevice(userAgent),
    createdAt,
    lastSeenAt,
    expiresAt: new Date(deadline.absoluteExpiresAt).toISOString(),
    idleExpiresAt: new Date(deadline.expiresAt).toISOString(),
    ip,
    userAgent,
    current: id === currentId,
  };
}

/** Active sessions: one's own, and (for admins) any manageable user's, with force logout. */
export class SessionService {
  readonly #context: DomainContext;
  readonly #users: UserService;

  readonly #policy: AuthenticationPolicyService;

  constructor(context: DomainContext, users: UserService, policy: AuthenticationPolicyService) {
    this.#context = context;
    this.#users = users;
    this.#policy = policy;
  }

  /** Your open sessions. */
  async listOwn(actor: Actor): Promise<SessionView[]> {
    return this.listOpen(actor.userId, actor.homeTenantId, actor.sessionId);
  }

  /**
   * A user's open sessions, for them or an admin (account activity): a session past its
   * deadline (sessionDeadline, with the home tenant's policy) is left out, exactly as a request
   * with it answers 401 SESSION_EXPIRED.
   */
  async listOpen(userId: string, homeTenantId: string, currentSessionId: string | null): Promise<SessionView[]> {
    const now = this.#context.clock.now();
    const [sessions, policy] = await Promise.all([this.#context.store.sessions.listActive(userId, now.toISOString()), this.#policy.effective(homeTenantId)]);
    return sessions.flatMap((session) => {
      const deadline = sessionDeadline(session, policy, now.getTime());
      return deadline.expired ? [] : [sessionView(session, deadline, currentSessionId)];
    });
  }

  /**
   * `sophon admin users logout <user-id>`: ends every session of the user at once and, with
   * `revokeTokens`, revokes every API token they hold too (without it, tokens keep working).
   */
  async logoutUser(actor: Actor, userId: string, options: { revokeTokens?: boolean } = {}): Promise<{ endedSessions: number; revokedTokens: number }> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.#users.loadForAccountChange(actor, userId, store);
      const now = this.#context.clock.now().toISOString();
      const endedSessions = await store.sessions.endAllForUser(user.id, now, 'forced logout');
      const revokedTokens = options.revokeTokens ? await store.tokens.revokeAllForUser(user.id, now) : 0;
      await recordAudit(this.#context, store, actor, {
        category: 'sessions',
        action: 'user.logged_out',
        subjectType: 'user',
        subjectId: user.id,
        detail: { endedSessions, revokeTokens: options.revokeTokens === true, revokedTokens },
      });
      return { endedSessions, revokedTokens };
    });
  }
}
