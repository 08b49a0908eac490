import { fail } from '../error-catalogue.ts';
import type { TenantMember, UserOrder, UserSortKey } from './user-store.ts';

/**
 * The order a list of users was asked in (`sort`, `order`) and where its page starts (`cursor`).
 * In creation order (the default, and `sort=created`) the cursor is the last user's id, as it
 * always was; by email, name or last sign-in it is that user's sort value and id, encoded
 * (base64url JSON), since the next page starts after the pair. A cursor that isn't one of those
 * is a 400 naming the cursor.
 */
export function userOrder(input: { sort?: UserSortKey; order?: 'asc' | 'desc'; cursor?: string }): UserOrder | undefined {
  const key = input.sort ?? 'created';
  const descending = input.order === 'desc';
  if (key === 'created') {
    if (input.cursor && !USER_ID.test(input.cursor)) refuseCursor();
    if (!descending) return undefined;
    return { key, descending, ...(input.cursor ? { after: { value: input.cursor, id: input.cursor } } : {}) };
  }
  if (!input.cursor) return { key, descending };
  return { key, descending, after: decodeCursor(input.cursor) };
}

/** The cursor of the page after `last` in `order`. */
export function cursorAfter(order: UserOrder | undefined, last: TenantMember): string {
  if (!order || order.key === 'created') return last.user.id;
  return Buffer.from(JSON.stringify({ v: last.sortValue ?? '', id: last.user.id })).toString('base64url');
}

function decodeCursor(cursor: string): { value: string; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'v' in parsed && 'id' in parsed && typeof parsed.v === 'string' && typeof parsed.id === 'string') return { value: parsed.v, id: parsed.id };
  } catch {
    // Not JSON: refused below.
  }
  return refuseCursor();
}

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function refuseCursor(): never {
  const message = 'not a cursor of this order: pass the nextCursor of the previous page, with the same sort and order';
  throw fail('VALIDATION_FAILED', { problems: `cursor: ${message}` }, { problems: [{ field: 'cursor', message }] });
}
