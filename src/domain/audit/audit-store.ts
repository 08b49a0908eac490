import type { AuditEvent, AuditQuery } from './audit-event.ts';

export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  query(query: AuditQuery): Promise<AuditEvent[]>;
}
