import { defineErrorCodes } from '../errors.ts';

/** The tokens concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const tokensErrorCodes = defineErrorCodes({
  DURATION_INVALID: { kind: 'invalid', message: '{field} {problem}: use a number followed by m, h or d, such as 90m, 12h or 365d.' },
  TOKEN_EXPIRED: { kind: 'unauthenticated', message: 'This API token expired at {expiresAt}; create a new one.' },
  TOKEN_INVALID: { kind: 'unauthenticated', message: 'This API token is not valid or has been revoked.' },
  TOKEN_NAME_INVALID: { kind: 'invalid', message: 'Token name must be 1 to 100 characters.' },
  TOKEN_NAME_TAKEN: { kind: 'conflict', message: 'You already have an API token named "{name}" that is not revoked (an expired one counts until you revoke it); pick another name, or revoke that token first.' },
  TOKEN_NOT_FOUND: { kind: 'not_found', message: 'No API token "{tokenId}" exists, or you can\'t see it.' },
});
