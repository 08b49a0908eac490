import { defineErrorCodes } from '../errors.ts';

/** The users concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const usersErrorCodes = defineErrorCodes({
  ACCOUNT_DELETED: { kind: 'unauthenticated', message: 'Your account no longer exists.' },
  AVATAR_NOT_FOUND: { kind: 'not_found', message: 'This user has no avatar.' },
  AVATAR_TOO_LARGE: { kind: 'invalid', message: 'The avatar is {ceil} KiB; the limit is {MAX_AVATAR_BYTES} KiB.' },
  AVATAR_TYPE_UNSUPPORTED: { kind: 'invalid', message: 'The avatar must be a PNG, JPEG or WebP image.' },
  DISPLAY_NAME_INVALID: { kind: 'invalid', message: 'Display name must be 1 to 200 characters, without control characters.' },
  EMAIL_INVALID: { kind: 'invalid', message: '"{email}" is not a valid email address.' },
  EMAIL_REPEATED: { kind: 'conflict', message: '{email} already appears at line {earlier} of this file.' },
  EMAIL_TAKEN: { kind: 'conflict', message: 'A user with email {email} already exists.' },
  IMPORT_JOB_NOT_FOUND: { kind: 'not_found', message: 'No import job {id} in this tenant.' },
  IMPORT_PASSWORD_LOST: { kind: 'conflict', message: 'The server restarted before this row was created and can\'t read its password back (it had no key of its own, see Sophon:Auth:TwoFactor:EncryptionKey): import the file again to create it.' },
  LINK_INVALID: { kind: 'invalid', message: 'This link is invalid, expired or already used; ask your administrator for a new one.' },
  PASSWORD_CHANGE_REQUIRED: { kind: 'forbidden', message: 'You must change your password first: POST /api/v1/auth/password with {"currentPassword","newPassword"}.' },
  PASSWORD_MATCHES_ACCOUNT: { kind: 'invalid', message: 'The password must not be your email address or its user name.' },
  PASSWORD_RESET_BY_MAIL_OFF: { kind: 'conflict', message: 'Password resets by mail are off on this server (no SMTP server is configured); ask an administrator to reset your password.' },
  PASSWORD_RESET_RATE_LIMITED: { kind: 'rate_limited', message: 'Too many password reset requests for this address or account; wait {retryAfterSeconds} seconds and try again.' },
  PASSWORD_TOO_COMMON: { kind: 'invalid', message: 'This password appears in lists of commonly used and breached passwords; choose another.' },
  PASSWORD_TOO_LONG: { kind: 'invalid', message: 'The password must be at most {MAX_PASSWORD_LENGTH} characters long.' },
  PASSWORD_TOO_SHORT: { kind: 'invalid', message: 'The password must be at least {minLength} characters long.' },
  PASSWORD_UNCHANGED: { kind: 'invalid', message: 'The new password must differ from the current one.' },
  USER_NOT_FOUND: { kind: 'not_found', message: 'No user "{user}" exists {where}.' },
  // A job's own ending, kept with the job (GET /api/v1/users/imports/:id), not an HTTP answer.
  IMPORT_UPLOAD_INTERRUPTED: { kind: 'conflict', message: 'The server stopped while the file was arriving; nothing was created. Import the file again.' },
  IMPORT_FAILED: { kind: 'conflict', message: 'The import stopped: {reason}. Rows created so far are listed; import the file again to create the rest (those already created are reported as taken).' },
});
