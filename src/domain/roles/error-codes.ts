import { defineErrorCodes } from '../errors.ts';

/** The roles concept's error codes: each declared once, with its kind (the HTTP status) and its message; {name} is filled from the params given to fail(). */
export const rolesErrorCodes = defineErrorCodes({
  ROLE_IN_USE: { kind: 'conflict', message: 'Role "{name}" is assigned to {holders} user(s); assign them another role first.' },
  ROLE_IS_BUILT_IN: { kind: 'conflict', message: '"{name}" is a built-in role and can\'t be edited or deleted; create a custom role if you need a variant.' },
  ROLE_LIMIT_REACHED: { kind: 'conflict', message: 'This {scope} already has the maximum of {limit} custom roles (Sophon:Rbac:MaxCustomRolesPerTenant).' },
  ROLE_NAME_INVALID: { kind: 'invalid', message: 'Role name "{name}" is invalid: use 1-63 letters, digits, spaces, dots, hyphens or underscores, starting with a letter or digit.' },
  ROLE_NAME_TAKEN: { kind: 'conflict', message: 'A role named "{name}" already exists {where}; pick another name.' },
  ROLE_NOT_FOUND: { kind: 'not_found', message: 'No role "{role}" exists in this tenant.' },
});
