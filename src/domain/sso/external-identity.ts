/**
 * A user's account at an OpenID Provider, linked to the Sophon user: the provider's
 * `(issuer, subject)` pair is the stable key (an email can change, a subject never does).
 * Identities belong to users, not tenants; deleting the user deletes their links.
 */
export interface ExternalIdentity {
  issuer: string;
  subject: string;
  userId: string;
  createdAt: string;
  lastLoginAt: string | null;
}
