import { defineErrorCodes } from '../errors.ts';

/** The two-factor concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const twoFactorErrorCodes = defineErrorCodes({
  TWO_FACTOR_ALREADY_ENABLED: { kind: 'conflict', message: 'Two-factor authentication is already on; disable it first to enrol a new authenticator.' },
  TWO_FACTOR_CODE_INVALID: { kind: 'unauthenticated', message: 'The authentication code is not valid (wrong, expired or already used).' },
  TWO_FACTOR_CODE_MISMATCH: { kind: 'invalid', message: 'The code does not match; check the time on your device and enter the current code.' },
  TWO_FACTOR_ENROLLMENT_NOT_STARTED: { kind: 'conflict', message: 'No enrolment is waiting (it expired, or was confirmed or reset meanwhile); start again with POST /api/v1/me/two-factor/enrollment.' },
  TWO_FACTOR_ENROLLMENT_REQUIRED: { kind: 'forbidden', message: 'Two-factor authentication is required for your account: enrol first with POST /api/v1/me/two-factor/enrollment, then confirm with POST /api/v1/me/two-factor/enrollment/confirm {"code","currentPassword"}.' },
  TWO_FACTOR_NOT_ENABLED: { kind: 'conflict', message: 'Two-factor authentication is not on.' },
  TWO_FACTOR_UNAVAILABLE: { kind: 'unavailable', message: 'Two-factor authentication is unavailable: {problem}; an administrator must restore the key or reset your 2FA (see docs/security.md).' },
});
