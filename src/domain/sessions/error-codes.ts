import { defineErrorCodes } from '../errors.ts';

/** The sessions concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const sessionsErrorCodes = defineErrorCodes({
  ACCOUNT_SUSPENDED: { kind: 'unauthenticated', message: 'This account is suspended; ask an administrator to re-activate it.' },
  CURRENT_PASSWORD_THROTTLED: { kind: 'invalid', message: 'Too many wrong passwords; wait a few minutes and try again.' },
  CURRENT_PASSWORD_WRONG: { kind: 'invalid', message: 'The current password is incorrect.' },
  INVALID_CREDENTIALS: { kind: 'unauthenticated', message: 'The email or password is incorrect, or the account cannot sign in.' },
  LOGIN_CHALLENGE_INVALID: { kind: 'unauthenticated', message: 'This sign-in step expired or was already used; sign in again with your password.' },
  ONE_TIME_PASSWORD_EXPIRED: { kind: 'unauthenticated', message: 'Your one-time password has expired; ask your administrator to reset your password.' },
  SESSION_EXPIRED: { kind: 'unauthenticated', message: 'Your session has expired; sign in again.' },
  SESSION_INVALID: { kind: 'unauthenticated', message: 'Your session has ended; sign in again.' },
  SESSION_NOT_FOUND: { kind: 'not_found', message: 'No active session "{sessionId}" for this user.' },
  TIMEOUT_OUT_OF_RANGE: { kind: 'invalid', message: '{field} must be between 00:01:00 and 365.00:00:00.' },
  TIMESPAN_INVALID: { kind: 'invalid', message: '{field}: {reason}' },
  TIMEOUT_ORDER_INVALID: { kind: 'invalid', message: 'idleTimeout must not be longer than absoluteTimeout: a session ends at the absolute timeout anyway.' },
});
