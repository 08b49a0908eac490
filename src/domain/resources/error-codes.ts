import { defineErrorCodes } from '../errors.ts';

/** The resources concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const resourcesErrorCodes = defineErrorCodes({
  REASSIGN_TO_SAME_USER: { kind: 'invalid', message: 'The new owner must be someone other than the former owner.' },
  RESOURCE_CONTENT_TOO_DEEP: { kind: 'invalid', message: 'Content can nest objects and arrays at most {MAX_CONTENT_DEPTH} levels deep.' },
  RESOURCE_CONTENT_TOO_LARGE: { kind: 'invalid', message: 'Content can be at most {MAX_CONTENT_BYTES} KiB of JSON.' },
  RESOURCE_NAME_INVALID: { kind: 'invalid', message: 'Name must be 1 to 200 characters.' },
  RESOURCE_NOT_FOUND: { kind: 'not_found', message: 'No {kind} "{resource}" exists in this tenant.' },
});
