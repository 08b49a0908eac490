import { recordAudit } from './domain/audit/audit-log.ts';
import type { Clock } from './domain/clock.ts';
import { newId } from './domain/ids.ts';
import { ADMIN_ROLE_ID, builtInRoleDefinitions, normalizeRoleName } from './domain/roles/role.ts';
import type { Store } from './domain/store.ts';
import { DEFAULT_TENANT_SLUG } from './domain/tenants/tenant.ts';
import { generatePassword, hashPassword } from './domain/users/passwords.ts';
import { checkEmail } from './domain/users/user.ts';

export interface BootstrapResult {
  /** Set only on the first start of an empty database: shown once, never stored in clear. */
  admin?: { email: string; oneTimePassword: string };
}

/**
 * First start on an empty database: the built-in roles, the `default` tenant and one
 * Admin whose generated password must be changed at first login. Later starts (and
 * other nodes racing on the same PostgreSQL) find the tenant and do nothing.
 */
export async function bootstrap(store: Store, clock: Clock, adminEmail: string): Promise<BootstrapResult> {
  const email = checkEmail(adminEmail);
  if (await store.tenants.getBySlug(DEFAULT_TENANT_SLUG)) return {};
  const oneTimePassword = generatePassword();
  const passwordHash = await hashPassword(oneTimePassword);
  try {
    return await store.transaction(async (tx) => {
      if (await tx.tenants.getBySlug(DEFAULT_TENANT_SLUG)) return {};
      const now = clock.now().toISOString();
      for (const role of builtInRoleDefinitions) {
        await tx.roles.create({ id: role.id, name: role.name, description: role.description, tenantId: null, builtIn: true, permissions: [], createdAt: now, updatedAt: now });
      }
      const tenant = { id: newId(), slug: DEFAULT_TENANT_SLUG, name: 'Default', createdAt: now, updatedAt: now };
      await tx.tenants.create(tenant);
      const admin = {
        id: newId(),
        email,
        displayName: 'Administrator',
        homeTenantId: tenant.id,
        status: 'active' as const,
        mustChangePassword: true,
        passwordHash,
        // The printed password doesn't expire: an admin who starts the server late must not be locked out.
        passwordExpiresAt: null,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: null,
        lastLoginIp: null,
        lastLoginUserAgent: null,
      };
      await tx.users.create(admin);
      await tx.assignments.set({ userId: admin.id, tenantId: tenant.id, roleId: ADMIN_ROLE_ID, assignedAt: now, assignedBy: null });
      await recordAudit({ clock }, tx, null, {
        tenantId: tenant.id,
        category: 'system',
        action: 'system.bootstrapped',
        subjectType: 'user',
        subjectId: admin.id,
        diff: { before: null, after: { tenant: DEFAULT_TENANT_SLUG, admin: email, role: 'Admin', roles: builtInRoleDefinitions.map((role) => normalizeRoleName(role.name)) } },
      });
      return { admin: { email, oneTimePassword } };
    });
  } catch (error) {
    // Another node bootstrapped between our check and our insert: its admin stands.
    if (await store.tenants.getBySlug(DEFAULT_TENANT_SLUG)) return {};
    throw error;
  }
}
