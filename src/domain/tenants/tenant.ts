import { invalid } from '../errors.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_TENANT_SLUG = 'default';

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkTenantSlug(slug: string): string {
  if (!slugPattern.test(slug)) {
    throw invalid(
      'TENANT_SLUG_INVALID',
      `Tenant slug "${slug}" is invalid: use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.`,
    );
  }
  return slug;
}
