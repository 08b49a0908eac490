import { defineErrorCodes } from '../errors.ts';

/** The tenants concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const tenantsErrorCodes = defineErrorCodes({
  TENANT_IS_DEFAULT: { kind: 'conflict', message: 'The default tenant is the installation\'s home and cannot be deleted.' },
  TENANT_NAME_INVALID: { kind: 'invalid', message: 'Tenant name must be 1 to 200 characters.' },
  TENANT_NOT_EMPTY: { kind: 'conflict', message: 'Tenant "{slug}" still has {homeUsers} user(s) at home and {resources} resource(s); move or delete them first.' },
  TENANT_NOT_FOUND: { kind: 'not_found', message: 'No tenant "{tenant}" exists, or you have no role in it.' },
  TENANT_SLUG_AMBIGUOUS: { kind: 'invalid', message: 'Tenant slug "{slug}" is shaped like a tenant id, which would make the two ambiguous; choose another.' },
  TENANT_SLUG_INVALID: { kind: 'invalid', message: 'Tenant slug "{slug}" is invalid: use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.' },
  TENANT_SLUG_TAKEN: { kind: 'conflict', message: 'A tenant with slug "{slug}" already exists.' },
});
