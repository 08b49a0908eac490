import { newId } from '../ids.ts';
import type { OutboxMessage } from './outbox.ts';

interface MessageInput {
  tenantId: string;
  userId: string;
  recipient: string;
  now: Date;
}

/** A one-time link as a mail carries it: its id, and its URL with LINK_TOKEN_SLOT where the token goes at send time. */
export interface MailedLink {
  linkId: string;
  url: string;
  expiresAt: string;
}

function message(input: MessageInput, kind: OutboxMessage['kind'], subject: string, bodyText: string, linkId: string | null): OutboxMessage {
  return {
    id: newId(),
    tenantId: input.tenantId,
    userId: input.userId,
    kind,
    recipient: input.recipient,
    subject,
    bodyText,
    linkId,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: input.now.toISOString(),
    lockedUntil: null,
    lastError: null,
    createdAt: input.now.toISOString(),
    sentAt: null,
  };
}

export function invitationMessage(input: MessageInput & { displayName: string; tenantName: string; link: MailedLink; publicUrl: string }): OutboxMessage {
  return message(
    input,
    'invitation',
    `You have been invited to Sophon (${input.tenantName})`,
    [
      `Hello ${input.displayName},`,
      '',
      `An administrator created a Sophon account for you in "${input.tenantName}".`,
      `Sign-in name: ${input.recipient}`,
      '',
      'Choose your password with this one-time link:',
      input.link.url,
      '',
      `The link works once and expires at ${input.link.expiresAt}. After that, sign in at ${input.publicUrl}.`,
      'If you did not expect this, ignore this message.',
    ].join('\n'),
    input.link.linkId,
  );
}

/**
 * When the admin typed the user's first password, the mail only tells the user the account
 * exists: the password is the one first-login credential, and the admin hands it over.
 */
export function accountCreatedMessage(input: MessageInput & { displayName: string; tenantName: string; passwordExpiresAt: string; publicUrl: string }): OutboxMessage {
  return message(
    input,
    'account_created',
    `Your Sophon account (${input.tenantName})`,
    [
      `Hello ${input.displayName},`,
      '',
      `An administrator created a Sophon account for you in "${input.tenantName}".`,
      `Sign-in name: ${input.recipient}`,
      '',
      'They will give you your first password themselves; this message does not contain it.',
      `Sign in at ${input.publicUrl} and choose your own password there, before ${input.passwordExpiresAt}, when the first one stops working.`,
      'If you did not expect this, tell your administrator.',
    ].join('\n'),
    null,
  );
}

export function passwordResetMessage(input: MessageInput & { displayName: string; link: MailedLink }): OutboxMessage {
  return message(
    input,
    'password_reset',
    'Reset your Sophon password',
    [
      `Hello ${input.displayName},`,
      '',
      'An administrator started a password reset for your Sophon account. Set a new password with this one-time link:',
      input.link.url,
      '',
      `The link works once and expires at ${input.link.expiresAt}. Setting a new password signs you out everywhere.`,
      'If you did not expect this, tell your administrator.',
    ].join('\n'),
    input.link.linkId,
  );
}

/** The answer to a reset the user asked for themselves (POST /auth/forgot-password): the same one-time link as an admin's reset. */
export function requestedPasswordResetMessage(input: MessageInput & { displayName: string; link: MailedLink }): OutboxMessage {
  return message(
    input,
    'password_reset',
    'Reset your Sophon password',
    [
      `Hello ${input.displayName},`,
      '',
      'Someone (you, we hope) asked to reset the password of your Sophon account. Set a new password with this one-time link:',
      input.link.url,
      '',
      `The link works once and expires at ${input.link.expiresAt}. Setting a new password signs you out everywhere.`,
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ].join('\n'),
    input.link.linkId,
  );
}

/**
 * The answer to a reset asked for an account that signs in only through single sign-on: it has
 * no password to reset, so the mail says where to sign in instead of carrying a link.
 */
export function singleSignOnNoticeMessage(input: MessageInput & { displayName: string; publicUrl: string }): OutboxMessage {
  return message(
    input,
    'single_sign_on_notice',
    'Your Sophon account has no password',
    [
      `Hello ${input.displayName},`,
      '',
      'Someone (you, we hope) asked to reset the password of your Sophon account. Your account has no password to reset:',
      'you sign in through your organization\'s identity provider. Choose "Sign in with …" on the sign-in page:',
      input.publicUrl,
      '',
      'If you can no longer sign in at your identity provider, ask its administrators, or a Sophon administrator.',
      'If you did not ask for this, ignore this message.',
    ].join('\n'),
    null,
  );
}

/** To an eligible approver (guards.ts, rule 7): someone asks for a time-bound role in a tenant. */
export function accessRequestMessage(
  input: MessageInput & { requesterEmail: string; roleName: string; tenantSlug: string; duration: string; reason: string; requestId: string; publicUrl: string },
): OutboxMessage {
  return message(
    input,
    'access_request',
    `Access request: ${input.requesterEmail} asks for ${input.roleName} in ${input.tenantSlug}`,
    [
      `${input.requesterEmail} asks for the role ${input.roleName} in tenant "${input.tenantSlug}" for ${input.duration}.`,
      '',
      'Their reason:',
      input.reason,
      '',
      'You may decide it (you hold AssignRoles there and every permission of that role):',
      `  sophon admin access-requests approve ${input.requestId} --tenant ${input.tenantSlug}`,
      `  sophon admin access-requests deny ${input.requestId} --tenant ${input.tenantSlug} --reason "…"`,
      `or in the dashboard at ${input.publicUrl}.`,
      'Another approver may decide it first; a decided request can\'t be decided again.',
    ].join('\n'),
    null,
  );
}
