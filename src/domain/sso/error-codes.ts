import { defineErrorCodes } from '../errors.ts';

/** The sso concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const ssoErrorCodes = defineErrorCodes({
  SSO_ACCOUNT_EXISTS: { kind: 'conflict', message: 'A Sophon account with the email {email} already exists {situation}.' },
  SSO_ACCOUNT_LINKED_ELSEWHERE: { kind: 'conflict', message: 'The Sophon account with this email is already linked to another account at this identity provider; ask your administrator.' },
  SSO_CLAIMS_INVALID: { kind: 'invalid', message: 'The identity provider sent a "{claim}" claim Sophon can\'t accept ({why}); ask your administrator to correct it at the provider.' },
  SSO_EMAIL_DOMAIN_NOT_ALLOWED: { kind: 'forbidden', message: 'Email addresses at {domain} may not sign in to Sophon through single sign-on (Sophon:Auth:Sso:AllowedEmailDomains); ask your administrator.' },
  SSO_EMAIL_MISSING: { kind: 'forbidden', message: 'The identity provider sent no email address, which Sophon needs; ask your administrator to release the "email" claim to Sophon.' },
  SSO_EMAIL_NOT_VERIFIED: { kind: 'forbidden', message: 'The identity provider does not vouch for the email {email} (email_verified is not true); verify it there, or ask your administrator.' },
  SSO_NOT_CONFIGURED: { kind: 'not_found', message: 'Single sign-on is not enabled on this server (Sophon:Auth:Sso:Enabled).' },
  SSO_NO_ROLE_MAPPING: { kind: 'forbidden', message: 'None of your groups at the identity provider is mapped to a Sophon role (claim "{groupClaim}": {groups}); ask your administrator.' },
  SSO_PROVIDER_ERROR: { kind: 'unauthenticated', message: 'The identity provider did not sign you in: {why}.' },
  SSO_PROVIDER_UNAVAILABLE: { kind: 'unavailable', message: 'The identity provider can\'t be reached ({why}); try again later, or tell your administrator.' },
  SSO_ROLE_UNKNOWN: { kind: 'unavailable', message: '{setting} names the role "{role}", which does not exist in tenant "{tenant}"; an administrator must create it or fix the mapping.' },
  SSO_STATE_INVALID: { kind: 'invalid', message: 'This single sign-on answer can\'t be accepted ({why}); start the sign-in again.' },
  SSO_TENANT_UNKNOWN: { kind: 'unavailable', message: 'Sophon:Auth:Sso:Tenant names the tenant "{tenant}", which does not exist; an administrator must create it or fix the setting.' },
  SSO_TOKEN_EXPIRED: { kind: 'unauthenticated', message: 'The identity provider\'s token has already expired by this server\'s clock; check the clocks, then sign in again.' },
  SSO_TOKEN_INVALID: { kind: 'unauthenticated', message: 'The identity provider\'s answer failed validation: {why}.' },
  SSO_TOO_MANY_ATTEMPTS: { kind: 'unauthenticated', message: 'Too many failed sign-ins from this address; wait a few minutes and try again.' },
  SSO_TOO_MANY_STARTS: { kind: 'rate_limited', message: 'Too many single sign-ons were started from this address and not finished; wait {retryAfterSeconds} seconds and try again.' },
  SSO_USER_NOT_PROVISIONED: { kind: 'forbidden', message: 'No Sophon account exists for {email}, and single sign-on does not create accounts here; ask your administrator to create yours.' },
});
