/** How a session was opened: the password (alone), with a TOTP or recovery code as second step, or through single sign-on. */
export type SessionMethod = 'password' | 'totp' | 'recovery_code' | 'sso';

export interface Session {
  id: string;
  userId: string;
  /** sha256 of the cookie value; the value itself is never stored. */
  tokenHash: string;
  /** sha256 of the CSRF token handed to the client at login. */
  csrfHash: string;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end of the session, fixed at login. */
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  endedAt: string | null;
  endReason: string | null;
  /** Null for sessions opened before this was recorded (all by password). */
  method: SessionMethod | null;
}

export interface SessionStore {
  create(session: Session): Promise<void>;
  getByTokenHash(tokenHash: string): Promise<Session | undefined>;
  getById(userId: string, sessionId: string): Promise<Session | undefined>;
  listActive(userId: string, now: string): Promise<Session[]>;
  touch(sessionId: string, lastSeenAt: string): Promise<void>;
  end(sessionId: string, at: string, reason: string): Promise<void>;
  /** Ends every open session of the user, but `exceptSessionId`; returns how many ended. */
  endAllForUser(userId: string, at: string, reason: string, exceptSessionId?: string): Promise<number>;
}
