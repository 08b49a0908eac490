import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { UserService } from '../users/user-service.ts';
import type { AuthenticationPolicyService } from './authentication-policy-service.ts';
import { describeDevice } from './device.ts';
import type { Session } from './session.ts';

export interface SessionView {
  id: string;
  /** "Firefox on Windows", from the user agent. */
  device: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export function sessionView(session: Session, currentId: string | null): SessionView {
  const { id, createdAt, lastSeenAt, expiresAt, ip, userAgent } = session;
  return { id, device: describeDevice(userAgent), createdAt, lastSeenAt, expiresAt, ip, userAgent, current: id === currentId };
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

  /** Your open sessions: those past the idle or absolute timeout of your home tenant are left out. */
  async listOwn(actor: Actor): Promise<SessionView[]> {
    const now = this.#context.clock.now();
    const [sessions, policy] = await Promise.all([this.#context.store.sessions.listActive(actor.userId, now.toISOString()), this.#policy.effective(actor.homeTenantId)]);
    return sessions
      .filter((session) => now.getTime() < Date.parse(session.lastSeenAt) + policy.idleTimeout && now.getTime() < Date.parse(session.createdAt) + policy.absoluteTimeout)
      .map((session) => sessionView(session, actor.sessionId));
  }

  /** `sophon admin users logout <user-id>`: ends every session of the user at once. */
  async logoutUser(actor: Actor, userId: string): Promise<{ endedSessions: number }> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.#users.loadManageable(actor, userId, store);
      const endedSessions = await store.sessions.endAllForUser(user.id, this.#context.clock.now().toISOString(), 'forced logout');
      await recordAudit(this.#context, store, actor, {
        category: 'sessions',
        action: 'user.logged_out',
        subjectType: 'user',
        subjectId: user.id,
        detail: { endedSessions },
      });
      return { endedSessions };
    });
  }
}
