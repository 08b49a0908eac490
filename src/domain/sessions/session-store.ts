import type { Session } from './session.ts';

export interface SessionStore {
  create(session: Session): Promise<void>;
  getByTokenHash(tokenHash: string): Promise<Session | undefined>;
  getById(userId: string, sessionId: string): Promise<Session | undefined>;
  /** Not ended and before the end fixed at login; the idle and policy deadlines are sessionDeadline's to apply. */
  listActive(userId: string, now: string): Promise<Session[]>;
  touch(sessionId: string, lastSeenAt: string): Promise<void>;
  end(sessionId: string, at: string, reason: string): Promise<void>;
  /** Ends every open session of the user, but `exceptSessionId`; returns how many ended. */
  endAllForUser(userId: string, at: string, reason: string, exceptSessionId?: string): Promise<number>;
}
