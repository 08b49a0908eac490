import { z } from 'zod';
import { named, page, timestamp } from './common.ts';

const userStatus = z.enum(['active', 'suspended']);

/** The account itself, as GET /me and PATCH /me show it (no tenant around it). */
export const user = named(
  'User',
  z.strictObject({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    homeTenantId: z.string(),
    status: userStatus,
    mustChangePassword: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
    lastLoginAt: timestamp.nullable(),
    lastLoginIp: z.string().nullable(),
    lastLoginUserAgent: z.string().nullable(),
  }),
);

/** A user as the API shows them in the tenant the request acts in. */
export const userView = named(
  'UserView',
  user.extend({
    /** The slug of the home tenant. */
    homeTenant: z.string(),
    /** Their role in the tenant the request acts in (a time-bound one while it lasts). */
    role: z.string().nullable(),
    /** Single-user views: when that role is time-bound, its end and the permanent role that applies again then (else null). */
    roleEndsAt: z.string().nullable().optional(),
    thenRole: z.string().nullable().optional(),
  }),
);

/** A row of GET /api/v1/users: the list's columns, read in the page's one statement. */
export const userListItem = named(
  'UserListItem',
  userView.extend({
    /** Two-factor authentication enabled (an enrolment never confirmed is not). */
    twoFactorEnabled: z.boolean(),
    /** At least one identity-provider account signs in as them. */
    ssoLinked: z.boolean(),
  }),
);
export const userPage = page(userListItem);

const queuedInvitation = z.strictObject({ delivery: z.literal('queued'), messageId: z.string(), expiresAt: timestamp });
const queuedNotice = z.strictObject({ delivery: z.literal('queued'), messageId: z.string() });

/** How the first credential reaches a created user (POST /users, a CSV import's created rows). */
export const firstCredential = {
  /** When the initial password stops working if not changed. */
  passwordExpiresAt: timestamp,
  /** Without SMTP, when no password was given: shown this once. */
  oneTimePassword: z.string().optional(),
  /** With SMTP and no password: the invitation is queued, not yet delivered. */
  invitation: queuedInvitation.optional(),
  /** With SMTP and a typed password: a notice without the password is queued. */
  notice: queuedNotice.optional(),
};

export const createdUser = named('CreatedUser', z.strictObject({ user: userView, ...firstCredential }));

/** POST /users/:id/move (also as a dry run): the user's role in each tenant before and after. */
export const movedUser = named(
  'MovedUser',
  userView.extend({
    movedResources: z.number(),
    dryRun: z.boolean(),
    roles: z.array(z.strictObject({ tenant: z.string(), before: z.string().nullable(), after: z.string().nullable() })),
  }),
);

export const deletedUser = z.strictObject({ orphanedResources: z.number() });

/** The user's role in one tenant, with the permissions it grants there. */
export const tenantPermissions = named(
  'TenantPermissions',
  z.strictObject({
    tenantId: z.string(),
    tenantSlug: z.string(),
    roleId: z.string(),
    roleName: z.string(),
    permissions: z.array(z.string()),
    /** A time-bound role's end (null: permanent) and the permanent role that applies again then. */
    endsAt: z.string().nullable(),
    thenRole: z.strictObject({ id: z.string(), name: z.string() }).nullable(),
  }),
);

export const effectivePermissions = z.strictObject({
  userId: z.string(),
  tenants: z.array(tenantPermissions),
  permissions: z.array(z.string()),
  /** Tenants the user holds a role in where the caller can't see users: neither listed nor counted. */
  hiddenTenants: z.number(),
});

/** GET /users/:id/memberships: where the caller may see the user, home first. */
export const userMemberships = z.strictObject({
  user: z.strictObject({ id: z.string(), email: z.string(), displayName: z.string(), status: userStatus, homeTenantId: z.string(), homeTenant: z.string() }),
  memberships: z.array(z.strictObject({ tenantId: z.string(), tenantSlug: z.string(), roleName: z.string(), home: z.boolean() })),
});

/** POST /users/:id/reset-password: a one-time link, queued for mail or, without SMTP, returned once. */
export const passwordReset = z.union([
  z.strictObject({ delivery: z.literal('queued'), messageId: z.string(), expiresAt: timestamp, revokedTokens: z.number().optional() }),
  z.strictObject({ delivery: z.literal('manual'), link: z.string(), expiresAt: timestamp, revokedTokens: z.number().optional() }),
]);

/** POST /users/:id/one-time-link: a link for the admin to hand over, shown once. */
export const handedOverLink = named(
  'HandedOverLink',
  z.strictObject({
    delivery: z.literal('manual'),
    purpose: z.enum(['invitation', 'password_reset']),
    link: z.string(),
    expiresAt: timestamp,
    /** Queued invitation or reset mails withdrawn unsent: their links stopped working. */
    cancelledMessages: z.array(z.string()),
    /** Whether an initial password nobody had used yet stopped working. */
    initialPasswordRetired: z.boolean(),
  }),
);

/** POST /users/:id/logout */
export const loggedOutUser = z.strictObject({ endedSessions: z.number(), revokedTokens: z.number() });

/** PUT /users/:id/avatar, PUT /me/avatar */
export const avatarSet = z.strictObject({ contentType: z.string(), bytes: z.number() });

/** GET and DELETE /users/:id/sign-in-lock: the account's brute-force lock. */
export const signInLock = named(
  'SignInLock',
  z.strictObject({
    userId: z.string(),
    failures: z.number(),
    lastFailureAt: timestamp.nullable(),
    state: z.enum(['open', 'waiting', 'locked']),
    /** While waiting: when the next attempt is counted again. */
    until: timestamp.nullable(),
  }),
);

/** Where one mail stands: `queued` until the outbox has handed it to SMTP (retrying, with the last error, while that fails). */
export const mailDelivery = named(
  'MailDelivery',
  z.strictObject({
    messageId: z.string(),
    kind: z.enum(['invitation', 'password_reset', 'account_created', 'single_sign_on_notice', 'access_request']),
    recipient: z.string(),
    delivery: z.enum(['queued', 'sent', 'failed', 'cancelled']),
    attempts: z.number(),
    lastError: z.string().nullable(),
    nextAttemptAt: timestamp.nullable(),
    createdAt: timestamp,
    sentAt: timestamp.nullable(),
  }),
);

/** GET /mail/outbox: the tenant's mails, without their text. */
export const outboxMessage = named(
  'OutboxMessage',
  z.strictObject({
    id: z.string(),
    tenantId: z.string(),
    userId: z.string().nullable(),
    kind: z.enum(['invitation', 'password_reset', 'account_created', 'single_sign_on_notice', 'access_request']),
    recipient: z.string(),
    subject: z.string(),
    status: z.enum(['pending', 'sent', 'failed', 'cancelled']),
    attempts: z.number(),
    nextAttemptAt: timestamp,
    lastError: z.string().nullable(),
    createdAt: timestamp,
    sentAt: timestamp.nullable(),
  }),
);
export const outboxPage = page(outboxMessage);

export type User = z.infer<typeof user>;
export type UserView = z.infer<typeof userView>;
export type UserListItem = z.infer<typeof userListItem>;
export type CreatedUser = z.infer<typeof createdUser>;
export type MovedUser = z.infer<typeof movedUser>;
export type TenantPermissions = z.infer<typeof tenantPermissions>;
export type EffectivePermissions = z.infer<typeof effectivePermissions>;
export type UserMemberships = z.infer<typeof userMemberships>;
export type PasswordReset = z.infer<typeof passwordReset>;
export type HandedOverLink = z.infer<typeof handedOverLink>;
export type LoggedOutUser = z.infer<typeof loggedOutUser>;
export type SignInLock = z.infer<typeof signInLock>;
export type MailDelivery = z.infer<typeof mailDelivery>;
export type OutboxMessage = z.infer<typeof outboxMessage>;
