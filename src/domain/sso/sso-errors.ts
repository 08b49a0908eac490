import { DomainError } from '../errors.ts';

/**
 * The SSO error codes, defined once. The browser routes turn each into a redirect to the
 * dashboard's sign-in page with `?ssoError=<code>`; the JSON routes answer the envelope.
 */
export const ssoNotConfigured = () => new DomainError('not_found', 'SSO_NOT_CONFIGURED', 'Single sign-on is not enabled on this server (Sophon:Auth:Sso:Enabled).');

export const ssoStateInvalid = (why: string) =>
  new DomainError('invalid', 'SSO_STATE_INVALID', `This single sign-on answer can't be accepted (${why}); start the sign-in again.`);

export const ssoProviderUnavailable = (why: string) =>
  new DomainError('unavailable', 'SSO_PROVIDER_UNAVAILABLE', `The identity provider can't be reached (${why}); try again later, or tell your administrator.`);

export const ssoProviderError = (why: string) => new DomainError('unauthenticated', 'SSO_PROVIDER_ERROR', `The identity provider did not sign you in: ${why}.`);

/**
 * Which check an ID token failed, when it is one Sophon makes itself (docs/sso.md): its
 * algorithm, the provider key it names, its signature, its issue time. Recorded in the
 * audit event (`detail.check`); the library's checks (issuer, audience, nonce, …) carry none.
 */
export type IdTokenCheck = 'algorithm' | 'signing_key' | 'signature' | 'issued_at';

export const ssoTokenInvalid = (why: string, check?: IdTokenCheck) =>
  new DomainError('unauthenticated', 'SSO_TOKEN_INVALID', `The identity provider's answer failed validation: ${why}.`, check ? { check } : {});

export const ssoEmailMissing = () =>
  new DomainError('forbidden', 'SSO_EMAIL_MISSING', 'The identity provider sent no email address, which Sophon needs; ask your administrator to release the "email" claim to Sophon.');

export const ssoEmailNotVerified = (email: string) =>
  new DomainError('forbidden', 'SSO_EMAIL_NOT_VERIFIED', `The identity provider does not vouch for the email ${email} (email_verified is not true); verify it there, or ask your administrator.`);

export const ssoUserNotProvisioned = (email: string) =>
  new DomainError('forbidden', 'SSO_USER_NOT_PROVISIONED', `No Sophon account exists for ${email}, and single sign-on does not create accounts here; ask your administrator to create yours.`);

export const ssoNoRoleMapping = (groupClaim: string, groups: readonly string[]) =>
  new DomainError(
    'forbidden',
    'SSO_NO_ROLE_MAPPING',
    `None of your groups at the identity provider is mapped to a Sophon role (claim "${groupClaim}": ${groups.length === 0 ? 'no groups' : groups.slice(0, 20).join(', ')}); ask your administrator.`,
    { groups: groups.slice(0, 100) },
  );

export const ssoRoleUnknown = (role: string, tenant: string, setting: string) =>
  new DomainError('unavailable', 'SSO_ROLE_UNKNOWN', `${setting} names the role "${role}", which does not exist in tenant "${tenant}"; an administrator must create it or fix the mapping.`);

export const ssoTenantUnknown = (tenant: string) =>
  new DomainError('unavailable', 'SSO_TENANT_UNKNOWN', `Sophon:Auth:Sso:Tenant names the tenant "${tenant}", which does not exist; an administrator must create it or fix the setting.`);

export const ssoAccountSuspended = () => new DomainError('unauthenticated', 'ACCOUNT_SUSPENDED', 'This account is suspended; ask an administrator to re-activate it.');

export const ssoSessionTooShort = () =>
  new DomainError('unauthenticated', 'SSO_TOKEN_EXPIRED', "The identity provider's token has already expired by this server's clock; check the clocks, then sign in again.");

export const ssoAccountLinkedElsewhere = () =>
  new DomainError(
    'conflict',
    'SSO_ACCOUNT_LINKED_ELSEWHERE',
    'The Sophon account with this email is already linked to another account at this identity provider; ask your administrator.',
  );

/**
 * An unlinked identity whose verified email belongs to an existing account: not linked, since
 * whoever set that account up (an admin of its tenant) could still hold its password or tokens.
 */
export const ssoAccountExists = (email: string, why: 'linking off' | { homeTenant: string; ssoTenant: string }) =>
  new DomainError(
    'conflict',
    'SSO_ACCOUNT_EXISTS',
    why === 'linking off'
      ? `A Sophon account with the email ${email} already exists and is not linked to this identity provider account, and Sophon:Auth:Sso:LinkExistingAccountsByEmail is off; an administrator must either turn it on (the account is then linked at its next single sign-on, and its earlier sessions, API tokens and unused initial password retired) or delete the local account.`
      : `A Sophon account with the email ${email} already exists in tenant "${why.homeTenant}", not in the single sign-on tenant "${why.ssoTenant}", so it is not linked automatically (that tenant's administrators control it); an administrator must delete that account (or change its email) before its owner can sign in through the identity provider.`,
  );

export const ssoEmailDomainNotAllowed = (domain: string) =>
  new DomainError('forbidden', 'SSO_EMAIL_DOMAIN_NOT_ALLOWED', `Email addresses at ${domain} may not sign in to Sophon through single sign-on (Sophon:Auth:Sso:AllowedEmailDomains); ask your administrator.`);

export const ssoClaimsInvalid = (claim: string, why: string) =>
  new DomainError('invalid', 'SSO_CLAIMS_INVALID', `The identity provider sent a "${claim}" claim Sophon can't accept (${why}); ask your administrator to correct it at the provider.`);

export const ssoTooManyAttempts = () =>
  new DomainError('unauthenticated', 'SSO_TOO_MANY_ATTEMPTS', 'Too many failed sign-ins from this address; wait a few minutes and try again.');

/** Each start stores a login state: an address that leaves too many unfinished is refused for a while (429). */
export const ssoTooManyStarts = (retryAfterSeconds: number) =>
  new DomainError(
    'rate_limited',
    'SSO_TOO_MANY_STARTS',
    `Too many single sign-ons were started from this address and not finished; wait ${retryAfterSeconds} seconds and try again.`,
    { retryAfterSeconds },
  );
