import type { AccessService } from '../access/access-service.ts';
import type { Store } from '../store.ts';
import { publicUser, type StoredUser, type User } from './user.ts';

export interface UserView extends User {
  homeTenant: string;
  /** The user's role in the tenant the request acts in (a time-bound one while it lasts). */
  role: string | null;
  /** When that role is time-bound: its end, and the permanent role that applies again then (single-user views only). */
  roleEndsAt?: string | null;
  thenRole?: string | null;
}

/** The user as the API shows them in the tenant (a list's rows come with these already: see UserService.list). */
export async function viewUser(store: Store, access: AccessService, user: StoredUser | User, tenantId: string): Promise<UserView> {
  const [home, held] = await Promise.all([store.tenants.getById(user.homeTenantId), access.roleWithTermIn(user.id, tenantId)]);
  return { ...publicUser(user), homeTenant: home?.slug ?? user.homeTenantId, role: held?.role.name ?? null, roleEndsAt: held?.endsAt ?? null, thenRole: held?.thenRole?.name ?? null };
}
