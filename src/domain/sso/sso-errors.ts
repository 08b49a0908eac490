import { fail } from '../error-catalogue.ts';

/**
 * The SSO error codes, defined once. The browser routes turn each into a redirect to the
 * dashboard's sign-in page with `?ssoError=<code>`; the JSON routes answer the envelope.
 */
export const ssoNotConfigured = () => fail('SSO_NOT_CONFIGURED');

export const ssoStateInvalid = (why: string) =>
  fail('SSO_STATE_INVALID', { why });

export const ssoProviderUnavailable = (why: string) =>
  fail('SSO_PROVIDER_UNAVAILABLE', { why });

export const ssoProviderError = (why: string) => fail('SSO_PROVIDER_ERROR', { why });

/**
 * Which check an ID token failed, when it is one Sophon makes itself (docs/sso.md): its
 * algorithm, the provider key it names, its signature, its issue time. Recorded in the
 * audit event (`detail.check`); the library's checks (issuer, audience, nonce, …) carry none.
 */
export type IdTokenCheck = 'algorithm' | 'signing_key' | 'signature' | 'issued_at';

export const ssoTokenInvalid = (why: string, check?: IdTokenCheck) =>
  fail('SSO_TOKEN_INVALID', { why }, check ? { check } : {});

export const ssoEmailMissing = () =>
  fail('SSO_EMAIL_MISSING');

export const ssoEmailNotVerified = (email: string) =>
  fail('SSO_EMAIL_NOT_VERIFIED', { email });

export const ssoUserNotProvisioned = (email: string) =>
  fail('SSO_USER_NOT_PROVISIONED', { email });

export const ssoNoRoleMapping = (groupClaim: string, groups: readonly string[]) =>
  fail('SSO_NO_ROLE_MAPPING', { groupClaim, groups: groups.length === 0 ? 'no groups' : groups.slice(0, 20).join(', ') }, { groups: groups.slice(0, 100) });

export const ssoRoleUnknown = (role: string, tenant: string, setting: string) =>
  fail('SSO_ROLE_UNKNOWN', { setting, role, tenant });

export const ssoTenantUnknown = (tenant: string) =>
  fail('SSO_TENANT_UNKNOWN', { tenant });

export const ssoAccountSuspended = () => fail('ACCOUNT_SUSPENDED');

export const ssoSessionTooShort = () =>
  fail('SSO_TOKEN_EXPIRED');

export const ssoAccountLinkedElsewhere = () =>
  fail('SSO_ACCOUNT_LINKED_ELSEWHERE');

/**
 * An unlinked identity whose verified email belongs to an existing account: not linked, since
 * whoever set that account up (an admin of its tenant) could still hold its password or tokens.
 */
export const ssoAccountExists = (email: string, why: 'linking off' | { homeTenant: string; ssoTenant: string }) =>
  fail('SSO_ACCOUNT_EXISTS', {
    email,
    situation:
      why === 'linking off'
        ? 'and is not linked to this identity provider account, and Sophon:Auth:Sso:LinkExistingAccountsByEmail is off; an administrator must either turn it on (the account is then linked at its next single sign-on, and its earlier sessions, API tokens and unused initial password retired) or delete the local account'
        : `in tenant "${why.homeTenant}", not in the single sign-on tenant "${why.ssoTenant}", so it is not linked automatically (that tenant's administrators control it); an administrator must delete that account (or change its email) before its owner can sign in through the identity provider`,
  });

export const ssoEmailDomainNotAllowed = (domain: string) =>
  fail('SSO_EMAIL_DOMAIN_NOT_ALLOWED', { domain });

export const ssoClaimsInvalid = (claim: string, why: string) =>
  fail('SSO_CLAIMS_INVALID', { claim, why });

export const ssoTooManyAttempts = () =>
  fail('SSO_TOO_MANY_ATTEMPTS');

/** Each start stores a login state: an address that leaves too many unfinished is refused for a while (429). */
export const ssoTooManyStarts = (retryAfterSeconds: number) =>
  fail('SSO_TOO_MANY_STARTS', { retryAfterSeconds }, { retryAfterSeconds });
