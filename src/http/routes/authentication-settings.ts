import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { idParams, tenantParams } from './schemas.ts';
import { authenticationPolicy } from '../schemas/settings.ts';
import { signInLock } from '../schemas/users.ts';

const timeSpan = z.string().max(30).nullable().optional();

/**
 * Admin → Settings → Authentication: Require 2FA installation-wide (ManageSettings), Require
 * 2FA and session lifetimes per tenant (ManageTenants), and the sign-in lock of a user.
 */
export const authenticationSettingsRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/settings/authentication',
    summary: 'Installation-wide authentication settings: Require 2FA and the default session lifetimes',
    tag: 'settings',
    access: { permission: 'ManageSettings' },
    response: authenticationPolicy,
    async handler({ actor, services }) {
      return services.authenticationPolicy.getGlobal(actor);
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/settings/authentication',
    summary: 'Require 2FA for every user of the installation (or stop requiring it)',
    tag: 'settings',
    access: { permission: 'ManageSettings' },
    body: z.object({ requireTwoFactor: z.boolean() }).strict(),
    response: authenticationPolicy,
    async handler({ actor, body, services }) {
      return services.authenticationPolicy.setGlobal(actor, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/tenants/:tenant/settings/authentication',
    summary: "A tenant's Require 2FA and session lifetimes: its overrides and what applies",
    tag: 'settings',
    access: { permission: 'ManageTenants' },
    params: tenantParams,
    response: authenticationPolicy,
    async handler({ actor, params, services }) {
      return services.authenticationPolicy.getTenant(actor, params.tenant);
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/tenants/:tenant/settings/authentication',
    summary: 'Set or clear (null) a tenant\'s Require 2FA, idle timeout and absolute timeout ("hh:mm:ss", "d.hh:mm:ss")',
    tag: 'settings',
    access: { permission: 'ManageTenants' },
    params: tenantParams,
    body: z.object({ requireTwoFactor: z.boolean().nullable().optional(), idleTimeout: timeSpan, absoluteTimeout: timeSpan }).strict(),
    response: authenticationPolicy,
    async handler({ actor, params, body, services }) {
      return services.authenticationPolicy.setTenant(actor, params.tenant, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id/sign-in-lock',
    summary: "A user's brute-force lock: consecutive failures, waiting or locked",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    response: signInLock,
    async handler({ actor, params, services }) {
      return services.loginThrottle.lockout(actor, params.id);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/users/:id/sign-in-lock',
    summary: "Lift a user's brute-force lock (after 100 consecutive failures it lasts until lifted or a trusted device signs in)",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    response: signInLock,
    async handler({ actor, params, services }) {
      return services.loginThrottle.unlock(actor, params.id);
    },
  }),
];
