import type { AuthPolicyRecord } from './authentication-policy.ts';

export interface AuthPolicyStore {
  list(scopeIds: string[]): Promise<AuthPolicyRecord[]>;
  set(record: AuthPolicyRecord): Promise<void>;
  delete(scopeId: string): Promise<void>;
}
