import type { AuditEntry, AuditEvent, AuditQuery } from './audit-event.ts';

export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  query(query: AuditQuery): Promise<AuditEntry[]>;
}
