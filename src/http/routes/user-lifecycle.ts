import { z } from 'zod';
import { originOf } from '../authenticate.ts';
import { defineRoute } from '../route.ts';
import { idParams, pageQuery, password } from './schemas.ts';
import { activity } from '../schemas/account.ts';
import { linkRedeemed } from '../schemas/auth.ts';
import { purgeResult, reassignResult } from '../schemas/resources.ts';
import { avatarSet, handedOverLink, movedUser, outboxPage, passwordReset, user } from '../schemas/users.ts';

const imageBody = z.custom<Buffer>((value) => Buffer.isBuffer(value), 'Send the image bytes with Content-Type image/png, image/jpeg or image/webp.');
const sessionParams = z.object({ id: z.string().min(1).max(100), sessionId: z.string().min(1).max(100) });

/** Headers that keep a user-supplied image from being anything but an image. */
const imageHeaders = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'content-disposition': 'inline; filename="avatar"',
  'cache-control': 'private, max-age=300',
};

export const userLifecycleRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/:id/reset-password',
    summary: 'Start a password reset: a one-time link, queued for mail (delivery "queued") or, without SMTP, returned once (delivery "manual")',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    body: z.object({ revokeTokens: z.boolean().optional() }),
    response: passwordReset,
    async handler({ actor, params, body, services }) {
      return services.userCredentials.resetPassword(actor, params.id, { revokeTokens: body.revokeTokens });
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/:id/one-time-link',
    summary:
      'A fresh one-time link shown to you once, to hand over yourself when a mail cannot reach the user; their unused links, queued invitation and reset mails and unused initial password stop working',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    body: z.object({ deliver: z.literal('manual') }).strict(),
    response: handedOverLink,
    async handler({ actor, params, services }) {
      return services.accounts.handOverLink(actor, params.id);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/:id/move',
    summary: "Move a user's home to another tenant, with the resources they own (dryRun: the resulting role in each tenant, nothing written)",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    body: z.object({ tenant: z.string().min(1).max(100), role: z.string().min(1).max(100).optional(), dryRun: z.boolean().optional() }),
    response: movedUser,
    async handler({ actor, params, body, services }) {
      return services.userTenancy.move(actor, params.id, body);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id/activity',
    summary: 'Last login, active sessions, API tokens and the last 50 audit events of a user',
    tag: 'users',
    access: { permission: 'ViewUsers' },
    params: idParams,
    response: activity,
    async handler({ actor, params, services }) {
      return services.accounts.activity(actor, params.id);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/users/:id/sessions/:sessionId',
    summary: "End one of a user's sessions",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    status: 204,
    params: sessionParams,
    async handler({ actor, params, services }) {
      await services.accounts.revokeSession(actor, params.id, params.sessionId);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/reassign',
    summary: "Give a former owner's orphaned resources to another user in every tenant where you hold ManageUsers and they have a role; counts per tenant",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    body: z.object({ from: z.string().min(1).max(100), to: z.string().min(1).max(100) }),
    response: reassignResult,
    async handler({ actor, body, services }) {
      return services.orphans.reassign(actor, body);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/users/purge-orphans',
    summary: 'Delete orphaned resources older than a duration in every tenant where you hold ManageUsers, counted per tenant (dryRun shows what would go)',
    tag: 'users',
    access: { permission: 'ManageUsers' },
    body: z.object({ olderThan: z.string().min(1).max(20), dryRun: z.boolean().default(false) }),
    response: purgeResult,
    async handler({ actor, body, services }) {
      return services.orphans.purge(actor, body);
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/users/:id/avatar',
    summary: "Set a user's avatar (PNG, JPEG or WebP, at most 512 KiB)",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    params: idParams,
    requestContentType: 'image/*',
    body: imageBody,
    response: avatarSet,
    async handler({ actor, params, body, services }) {
      return services.accounts.setAvatar(actor, params.id, body);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/users/:id/avatar',
    summary: "Remove a user's avatar",
    tag: 'users',
    access: { permission: 'ManageUsers' },
    status: 204,
    params: idParams,
    async handler({ actor, params, services }) {
      await services.accounts.deleteAvatar(actor, params.id);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/users/:id/avatar',
    summary: "A user's avatar image",
    tag: 'users',
    access: 'authenticated',
    params: idParams,
    responseContentType: 'image/*',
    async handler({ actor, params, services, reply }) {
      const avatar = await services.accounts.getAvatar(actor, params.id);
      reply.headers({ ...imageHeaders, 'content-type': avatar.contentType });
      return avatar.data;
    },
  }),
  defineRoute({
    method: 'PATCH',
    url: '/api/v1/me',
    summary: 'Change your display name',
    tag: 'me',
    access: 'authenticated',
    body: z.object({ displayName: z.string().max(200).optional() }).strict(),
    response: user,
    async handler({ actor, body, services }) {
      return services.accounts.updateOwnProfile(actor, body);
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/me/avatar',
    summary: 'Set your avatar (PNG, JPEG or WebP, at most 512 KiB)',
    tag: 'me',
    access: 'authenticated',
    requestContentType: 'image/*',
    body: imageBody,
    response: avatarSet,
    async handler({ actor, body, services }) {
      return services.accounts.setAvatar(actor, actor.userId, body);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/me/avatar',
    summary: 'Remove your avatar',
    tag: 'me',
    access: 'authenticated',
    status: 204,
    async handler({ actor, services }) {
      await services.accounts.deleteAvatar(actor, actor.userId);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/me/avatar',
    summary: 'Your avatar image',
    tag: 'me',
    access: 'authenticated',
    responseContentType: 'image/*',
    async handler({ actor, services, reply }) {
      const avatar = await services.accounts.getAvatar(actor, actor.userId);
      reply.headers({ ...imageHeaders, 'content-type': avatar.contentType });
      return avatar.data;
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/me/sessions/:sessionId',
    summary: 'End one of your sessions',
    tag: 'me',
    access: 'authenticated',
    status: 204,
    params: z.object({ sessionId: z.string().min(1).max(100) }),
    async handler({ actor, params, services }) {
      await services.accounts.revokeSession(actor, actor.userId, params.sessionId);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/redeem-link',
    summary: 'Set a new password with a one-time invitation or reset link; ends every session',
    tag: 'auth',
    access: 'public',
    body: z.object({ token: z.string().min(1).max(200), newPassword: password }),
    response: linkRedeemed,
    async handler({ body, services, request }) {
      return services.links.redeem(body.token, body.newPassword, originOf(request));
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/mail/outbox',
    summary: "Delivery state of the tenant's invitation and reset mails",
    tag: 'mail',
    access: { permission: 'ManageUsers' },
    query: pageQuery,
    response: outboxPage,
    async handler({ actor, query, services }) {
      return services.mail.listOutbox(actor, query);
    },
  }),
];
