import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { UserService } from '../users/user-service.ts';
import type { Session } from './session.ts';

export interface SessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

function view(session: Session, currentId: string | null): SessionView {
  const { id, createdAt, lastSeenAt, expiresAt, ip, userAgent } = session;
  return { id, createdAt, lastSeenAt, expiresAt, ip, userAgent, current: id === currentId };
}

/** Active sessions: one's own, and (for admins) any manageable user's, with force logout. */
export class SessionService {
  readonly #context: DomainContext;
  readonly #users: UserService;

  constructor(context: DomainContext, users: UserService) {
    this.#context = context;
    this.#users = users;
  }

  async listOwn(actor: Actor): Promise<SessionView[]> {
    const sessions = await this.#context.store.sessions.listActive(actor.userId, this.#context.clock.now().toISOString());
    return sessions.map((session) => view(session, actor.sessionId));
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
