import { defineErrorCodes } from '../errors.ts';

/** The access concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const accessErrorCodes = defineErrorCodes({
  ACCESS_REQUEST_DECIDED: { kind: 'conflict', message: 'This access request was already {status}; a decided request can\'t be decided again.' },
  ACCESS_REQUEST_NOT_FOUND: { kind: 'not_found', message: 'No access request "{requestId}" exists in this tenant.' },
  ACCESS_REQUEST_OWN: { kind: 'forbidden', message: 'You cannot approve or deny your own access request; another approver must decide it.' },
  ACCESS_REVIEW_NOT_FOUND: { kind: 'not_found', message: 'No access review "{reviewId}" exists in this tenant.' },
  ALREADY_IN_TENANT: { kind: 'conflict', message: 'The user\'s home is already tenant "{slug}".' },
  ASSIGNMENT_END_INVALID: { kind: 'invalid', message: 'The assignment\'s end is not valid: {problem}.' },
  CANNOT_CHANGE_OWN_ROLE: { kind: 'forbidden', message: 'You cannot change your own role; ask another admin.' },
  CANNOT_CHANGE_OWN_TENANT: { kind: 'forbidden', message: 'You cannot move yourself to another tenant; ask another admin.' },
  CANNOT_DELETE_SELF: { kind: 'forbidden', message: 'You cannot delete your own account; ask another admin.' },
  CANNOT_SUSPEND_SELF: { kind: 'forbidden', message: 'You cannot suspend your own account.' },
  CHECKS_INVALID: { kind: 'invalid', message: 'The checks are not valid: {problem}.' },
  DECISION_NOT_APPLICABLE: { kind: 'invalid', message: 'decisions.{index}: "{decision}" doesn\'t apply to a {type}; choose one of {DECISIONS_FOR}.' },
  DECISION_REPEATED: { kind: 'invalid', message: 'decisions.{index}: this finding already has a decision.' },
  ELEVATION_NEEDS_MEMBERSHIP: { kind: 'conflict', message: 'A time-bound role is worn over a member\'s permanent role, which applies again at its end; add the user to tenant "{slug}" first.' },
  ELEVATION_TOO_LONG: { kind: 'invalid', message: 'A time-bound role in tenant "{slug}" can last at most {maximum} (Sophon:Rbac:MaxElevation); {asked} is longer.' },
  FINDING_NOT_IN_REVIEW: { kind: 'invalid', message: 'decisions.{index}: the review of "{slug}" has no {kind} finding about "{subjectId}" now.' },
  HOME_TENANT_MEMBERSHIP: { kind: 'conflict', message: 'This is the user\'s home tenant; move or delete the user instead.' },
  LAST_ADMIN: { kind: 'conflict', message: 'This user is the last active Admin of tenant "{DEFAULT_TENANT_SLUG}"; make someone else Admin first.' },
  PERMISSION_MISSING: { kind: 'forbidden', message: 'You need the {permission} permission in tenant "{tenantSlug}" to do this.' },
  PERMISSION_UNKNOWN: { kind: 'invalid', message: 'Not in the permission catalogue ({field}): {permissions}; GET /api/v1/permissions lists it.' },
  PRIVILEGE_ESCALATION: { kind: 'forbidden', message: 'You cannot grant or take away permissions you do not hold yourself in this tenant: {lacking}.' },
  TARGET_MORE_PRIVILEGED: { kind: 'forbidden', message: 'This user holds permissions you don\'t hold in {where} ({permissions}); whoever controls their account acts with those, so ask someone who holds them all.' },
});
