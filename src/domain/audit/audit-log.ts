import { newId } from '../ids.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { AuditEvent } from './audit-event.ts';

type EventInput = Pick<AuditEvent, 'category' | 'action'> &
  Partial<Pick<AuditEvent, 'outcome' | 'subjectType' | 'subjectId' | 'diff' | 'detail' | 'tenantId'>>;

/** Builds an audit event from the actor and appends it through `store`, the transaction the change is written in. */
export async function recordAudit(
  context: Pick<DomainContext, 'clock'>,
  store: DomainContext['store'],
  actor: Pick<Actor, 'userId' | 'email' | 'tenantId' | 'ip' | 'userAgent'> | null,
  event: EventInput & { tenantId?: string },
  origin?: { ip: string | null; userAgent: string | null },
): Promise<void> {
  const tenantId = event.tenantId ?? actor?.tenantId;
  if (!tenantId) throw new Error('an audit event needs a tenant');
  await store.audit.append({
    id: newId(),
    occurredAt: context.clock.now().toISOString(),
    tenantId,
    actorId: actor?.userId ?? null,
    actorEmail: actor?.email ?? null,
    category: event.category,
    action: event.action,
    outcome: event.outcome ?? 'success',
    subjectType: event.subjectType ?? null,
    subjectId: event.subjectId ?? null,
    diff: event.diff ?? null,
    detail: event.detail ?? null,
    ip: actor?.ip ?? origin?.ip ?? null,
    userAgent: actor?.userAgent ?? origin?.userAgent ?? null,
  });
}
