import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { email, idParams, pageQuery, password } from './schemas.ts';
import { USER_SORT_KEYS } from '../../domain/users/user-store.ts';
import { createdUser, deletedUser, effectivePermissions, loggedOutUser, userMemberships, userPage, userView } from '../schemas/users.ts';
import { tokenList } from '../schemas/tokens.ts';

/** The seed's CSV columns: email, displayName, role, tenant, password. */
const createUserBody = z.object({
  email,
  displayName: z.string().max(200),
  role: z.string().max(100).optional(),
  tenant: z.string().max(100).optional(),
  password: password.optional(),
});

const isoTime = z.iso.datetime({ offset: true }).transform((text) => new Date(text).toISOString());

/** GET /api/v1/users: the page, a search, and the dashboard's filters (all of them at once). */
const userListQuery = pageQuery
  .extend({
    search: z.string().max(200).optional(),
    role: z.string().min(1).max(100).optional(),
    status: z.enum(['active', 'suspended']).optional(),
    twoFactor: z.enum(['enrolled', 'not_enrolled']).optional(),
    sso: z.enum(['linked', 'not_linked']).optional(),
    lastSignInBefore: isoTime.optional(),
    lastSignInAfter: isoTime.optional(),
    homeTenant: z.string().min(1).max(100).optional(),
    /** The column to sort by: created (id order, the default), email, name, lastSignIn (never signed in sorts first ascending, last descending). */
    sort: z.enum(USER_SORT_KEYS).optional(),
    // In creation order a user id; in another, the sort value and id of the page's last row, encoded.
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,2000}$/, 'a cursor is the nextCursor of an earlier page').optional(),
    order: z.enum(['asc', 'desc']).optional(),
  })
  .refine((query) => !query.lastSignInBefore || !query.lastSignInAfter || query.lastSignInAfter < query.lastSignInBefore, {
    path: ['lastSignInAfter'],
    message: 'must be earlier than lastSignInBefore',
  });

export const userRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/users',
    summary:
      'Create a user with one first-login credential: with SMTP, an invitation link (queued mail) when no password is given, else a notice without credential; without SMTP, a generated one-time password returned once',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    status: 201,
    body: createUserBody,
    response: createdUser,
    async handler({ actor, body, services }) {
      return services.users.create(actor, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users',
    summary: 'Users of the tenant, searchable by email or name, filtered, sorted (sort=created|email|name|lastSignIn, order=asc|desc), paginated by cursor',
    tag: 'users',
    access: { permission: 'ViewUsers' },
    query: userListQuery,
    response: userPage,
    async handler({ actor, query, services }) {
      return services.users.list(actor, query);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id',
    summary: 'One user of the tenant',
    tag: 'users',
    access: { permission: 'ViewUsers' },
    params: idParams,
    response: userView,
    async handler({ actor, params, services }) {
      return services.users.get(actor, params.id);
    },
  }),
  defineRoute({
    method: 'PATCH',
    url: '/api/v1/users/:id',
    summary: "Change a user's email or display name",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    body: z.object({ email: email.optional(), displayName: z.string().max(200).optional() }),
    response: userView,
    async handler({ actor, params, body, services }) {
      return services.users.update(actor, params.id, body);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/:id/suspend',
    summary: 'Suspend a user: they stay, but their sessions and tokens stop working at once',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    response: userView,
    async handler({ actor, params, services }) {
      return services.userLifecycle.suspend(actor, params.id);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/:id/reactivate',
    summary: 'Re-activate a suspended user',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    response: userView,
    async handler({ actor, params, services }) {
      return services.userLifecycle.reactivate(actor, params.id);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/users/:id',
    summary: 'Delete a user permanently; their agents, workflows, memory and documents become orphans',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    response: deletedUser,
    async handler({ actor, params, services }) {
      return services.userLifecycle.delete(actor, params.id);
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/users/:id/role',
    summary: "Set the user's role in the tenant the request acts in (adds them to it if needed); with until or duration, a time-bound role over their permanent one",
    tag: 'users',
    access: { permission: 'AssignRoles' },
    params: idParams,
    body: z.object({
      role: z.string().min(1).max(100),
      /** A time-bound role: its end as an ISO-8601 instant with offset (2027-01-31T18:00Z)… */
      until: z.string().min(1).max(40).optional(),
      /** …or its length from now: 90m, 8h, 2d. The permanent role applies again at the end. */
      duration: z.string().min(1).max(10).optional(),
    }),
    response: userView,
    async handler({ actor, params, body, services }) {
      return services.userTenancy.setRole(actor, params.id, body.role, body.until === undefined && body.duration === undefined ? undefined : { until: body.until, duration: body.duration });
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/users/:id/role',
    summary: 'Remove the user from the tenant the request acts in',
    tag: 'users',
    access: { permission: 'AssignRoles' },
    status: 204,
    params: idParams,
    async handler({ actor, params, services }) {
      await services.userTenancy.removeFromTenant(actor, params.id);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id/memberships',
    summary: 'The tenants where you may see this user (id or email), home first: where to act on them; 404 if there are none',
    tag: 'users',
    // Not one permission in the acting tenant: the domain asks for ViewUsers in each of the user's tenants.
    access: 'authenticated',
    params: idParams,
    response: userMemberships,
    async handler({ actor, params, services }) {
      return services.userMemberships.list(actor, params.id);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id/effective-permissions',
    summary: "The user's role per tenant and the flat deduplicated permission list",
    tag: 'users',
    access: { permission: 'ViewUsers' },
    params: idParams,
    response: effectivePermissions,
    async handler({ actor, params, services }) {
      return services.users.effectivePermissions(actor, params.id);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id/tokens',
    summary: "A user's API tokens",
    tag: 'tokens',
    access: { permission: 'ManageUsers' },
    params: idParams,
    response: tokenList,
    async handler({ actor, params, services }) {
      return { items: await services.tokens.listForUser(actor, params.id) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/:id/logout',
    summary: 'End every session of the user at once; with revokeTokens, revoke every API token of theirs too',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    body: z.object({ revokeTokens: z.boolean().optional() }),
    response: loggedOutUser,
    async handler({ actor, params, body, services }) {
      return services.sessions.logoutUser(actor, params.id, { revokeTokens: body.revokeTokens });
    },
  }),
];
