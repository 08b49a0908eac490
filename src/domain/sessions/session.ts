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
  /** The absolute end of the session, fixed at login (see sessionDeadline for the end that applies). */
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  endedAt: string | null;
  endReason: string | null;
  /** Null for sessions opened before this was recorded (all by password). */
  method: SessionMethod | null;
}

/** The lifetimes that apply to a session: those of its user's home tenant (milliseconds). */
export interface SessionLifetime {
  idleTimeout: number;
  absoluteTimeout: number;
}

export interface SessionDeadline {
  /** When the session ends (epoch ms): the earlier of the idle and the absolute deadline. */
  expiresAt: number;
  /** Last seen + the idle timeout. */
  idleExpiresAt: number;
  /**
   * The end fixed at login (which, for single sign-on, is already capped by the identity
   * provider), brought forward to created + the current absolute timeout when that was shortened.
   */
  absoluteExpiresAt: number;
  expired: boolean;
  /** The deadline that comes first: the one that ended the session when `expired`. */
  reason: 'idle timeout' | 'absolute timeout';
}

/**
 * The one rule of a session's lifetime, used by every reader: the check each request meets,
 * the lists of sessions (your own, an admin's view of a user's activity) and the cookie's
 * Max-Age, so none of them can disagree about whether a session is still open.
 */
export function sessionDeadline(session: Pick<Session, 'createdAt' | 'lastSeenAt' | 'expiresAt'>, policy: SessionLifetime, now: number): SessionDeadline {
  const absoluteExpiresAt = Math.min(Date.parse(session.expiresAt), Date.parse(session.createdAt) + policy.absoluteTimeout);
  const idleExpiresAt = Date.parse(session.lastSeenAt) + policy.idleTimeout;
  const expiresAt = Math.min(absoluteExpiresAt, idleExpiresAt);
  return { expiresAt, idleExpiresAt, absoluteExpiresAt, expired: now >= expiresAt, reason: absoluteExpiresAt <= idleExpiresAt ? 'absolute timeout' : 'idle timeout' };
}
