import type { ExternalIdentity } from './external-identity.ts';

export interface ExternalIdentityStore {
  /** Refuses a second link of the same (issuer, subject). */
  create(identity: ExternalIdentity): Promise<void>;
  get(issuer: string, subject: string): Promise<ExternalIdentity | undefined>;
  /** The user's links, oldest first. */
  listForUser(userId: string): Promise<ExternalIdentity[]>;
  recordLogin(issuer: string, subject: string, at: string): Promise<void>;
}
