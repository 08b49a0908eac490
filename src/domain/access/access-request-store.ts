import type { AccessRequest, AccessRequestDecision, AccessRequestStatus } from './access-request.ts';

/** Access requests (migration 012). Every read takes the tenant, or the requester for their own. */
export interface AccessRequestStore {
  create(request: Omit<AccessRequest, 'tenantSlug'>): Promise<void>;
  get(tenantId: string, requestId: string): Promise<AccessRequest | undefined>;
  /** The tenant's requests, newest first, with the status when given, before `before` (an id). */
  listForTenant(tenantId: string, query: { status?: AccessRequestStatus; before?: string; limit: number }): Promise<AccessRequest[]>;
  /** The user's own requests in every tenant, newest first. */
  listForUser(userId: string, query: { before?: string; limit: number }): Promise<AccessRequest[]>;
  /** Decides a pending request; false when it was no longer pending (another approver was first). */
  decide(tenantId: string, requestId: string, decision: AccessRequestDecision): Promise<boolean>;
}
