import type { OwnedResource } from '../resources/resource.ts';
import { ADMIN_ROLE_ID, type Role } from '../roles/role.ts';
import { hasUsablePassword } from '../users/passwords.ts';
import type { EndingElevationFact, ReviewMemberFact, ReviewTokenFact } from './governance-store.ts';

/**
 * Access review: what in one tenant deserves an admin's second look, as findings computed by a
 * pure function from facts read in a constant number of statements (access-review-service.ts).
 * Time-bound assignments (elevations) in force that end within ENDING_SOON_DAYS are a finding:
 * the reviewer sees who holds what until when, and what applies after.
 */

/** How far ahead "time-bound assignments ending soon" looks. */
export const ENDING_SOON_DAYS = 7;

export const ACCESS_REVIEW_FINDING_KINDS = [
  'user_not_signed_in',
  'user_never_signed_in',
  'suspended_admin',
  'admin_without_two_factor',
  'token_unused',
  'token_never_used',
  'token_without_expiry',
  'role_without_holders',
  'orphaned_resource',
  'assignment_ending_soon',
] as const;
export type AccessReviewFindingKind = (typeof ACCESS_REVIEW_FINDING_KINDS)[number];

export interface AccessReviewFinding {
  kind: AccessReviewFindingKind;
  subject: { type: 'user' | 'token' | 'role' | 'resource'; id: string; email: string | null; name: string };
  /** One sentence a person can act on. */
  detail: string;
  /** The facts behind it (times ISO-8601, null when never). */
  facts: Record<string, string | boolean | null>;
}

export interface AccessReviewFacts {
  now: string;
  /** Activity before this instant is stale (now minus the --stale duration). */
  staleBefore: string;
  /** The --stale duration in words ("90 days"), for the sentences. */
  staleFor: string;
  members: readonly ReviewMemberFact[];
  tokens: readonly ReviewTokenFact[];
  unheldRoles: readonly Role[];
  orphans: readonly OwnedResource[];
  /** Elevations in force ending within ENDING_SOON_DAYS (absent: none read). */
  endingElevations?: readonly EndingElevationFact[];
}

const day = (iso: string) => iso.slice(0, 10);

export function accessReviewFindings(facts: AccessReviewFacts): AccessReviewFinding[] {
  const { staleBefore, staleFor } = facts;
  const findings: AccessReviewFinding[] = [];
  const person = (member: ReviewMemberFact) => ({ type: 'user' as const, id: member.user.id, email: member.user.email, name: member.user.displayName });

  for (const member of facts.members) {
    const { user, role } = member;
    const userFacts = { role: role.name, status: user.status, lastLoginAt: user.lastLoginAt, createdAt: user.createdAt };
    if (user.status === 'active' && user.lastLoginAt === null && user.createdAt < staleBefore) {
      findings.push({ kind: 'user_never_signed_in', subject: person(member), detail: `Never signed in since the account was created on ${day(user.createdAt)}, more than ${staleFor} ago.`, facts: userFacts });
    } else if (user.status === 'active' && user.lastLoginAt !== null && user.lastLoginAt < staleBefore) {
      findings.push({ kind: 'user_not_signed_in', subject: person(member), detail: `Last signed in on ${day(user.lastLoginAt)}, more than ${staleFor} ago.`, facts: userFacts });
    }
    if (user.status === 'suspended' && role.id === ADMIN_ROLE_ID) {
      findings.push({ kind: 'suspended_admin', subject: person(member), detail: 'Suspended, yet still holds Admin here: reactivating them restores everything; remove the role if they should not come back as Admin.', facts: userFacts });
    }
    if (user.status === 'active' && role.id === ADMIN_ROLE_ID && !member.twoFactorEnabled) {
      const password = hasUsablePassword(user.passwordHash);
      findings.push({
        kind: 'admin_without_two_factor',
        subject: person(member),
        detail: password ? 'Holds Admin here and has not turned on two-factor authentication.' : 'Holds Admin here without two-factor authentication; signs in only through single sign-on, so the identity provider’s MFA applies.',
        facts: { ...userFacts, twoFactorEnabled: false, hasPassword: password },
      });
    }
  }

  for (const token of facts.tokens) {
    const subject = { type: 'token' as const, id: token.id, email: token.owner.email, name: `${token.name} (${token.prefix}…)` };
    const tokenFacts = { ownerId: token.owner.id, createdAt: token.createdAt, expiresAt: token.expiresAt, lastUsedAt: token.lastUsedAt };
    if (token.lastUsedAt === null && token.createdAt < staleBefore) {
      findings.push({ kind: 'token_never_used', subject, detail: `Never used since it was created on ${day(token.createdAt)}, more than ${staleFor} ago.`, facts: tokenFacts });
    } else if (token.lastUsedAt !== null && token.lastUsedAt < staleBefore) {
      findings.push({ kind: 'token_unused', subject, detail: `Last used on ${day(token.lastUsedAt)}, more than ${staleFor} ago.`, facts: tokenFacts });
    }
    if (token.expiresAt === null) {
      findings.push({ kind: 'token_without_expiry', subject, detail: 'Never expires: it works until someone revokes it.', facts: tokenFacts });
    }
  }

  for (const role of facts.unheldRoles) {
    findings.push({
      kind: 'role_without_holders',
      subject: { type: 'role', id: role.id, email: null, name: role.name },
      detail: `Custom ${role.tenantId === null ? 'global ' : ''}role that nobody holds${role.tenantId === null ? ' in any tenant' : ''}: delete it if it is no longer needed.`,
      facts: { scope: role.tenantId === null ? 'global' : 'tenant', permissions: role.permissions.join(' '), createdAt: role.createdAt },
    });
  }

  for (const resource of facts.orphans) {
    findings.push({
      kind: 'orphaned_resource',
      subject: { type: 'resource', id: resource.id, email: null, name: `${resource.kind} ${resource.name}` },
      detail: `Orphaned since ${day(resource.orphanedAt ?? facts.now)} (its owner was deleted), more than ${staleFor} ago: reassign or purge it.`,
      facts: { kind: resource.kind, previousOwnerId: resource.previousOwnerId, orphanedAt: resource.orphanedAt },
    });
  }
  for (const elevation of facts.endingElevations ?? []) {
    findings.push({
      kind: 'assignment_ending_soon',
      subject: { type: 'user', id: elevation.user.id, email: elevation.user.email, name: elevation.user.displayName },
      detail: `Holds ${elevation.role.name} here until ${elevation.endsAt}${elevation.accessRequestId ? ' (an approved access request)' : ''}; then ${elevation.thenRole.name} applies again.`,
      facts: { role: elevation.role.name, endsAt: elevation.endsAt, thenRole: elevation.thenRole.name, accessRequestId: elevation.accessRequestId },
    });
  }
  return findings;
}
