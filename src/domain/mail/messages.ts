import { newId } from '../ids.ts';
import type { OutboxMessage } from './outbox.ts';

interface MessageInput {
  tenantId: string;
  userId: string;
  recipient: string;
  now: Date;
}

function message(input: MessageInput, kind: OutboxMessage['kind'], subject: string, bodyText: string): OutboxMessage {
  return {
    id: newId(),
    tenantId: input.tenantId,
    userId: input.userId,
    kind,
    recipient: input.recipient,
    subject,
    bodyText,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: input.now.toISOString(),
    lockedUntil: null,
    lastError: null,
    createdAt: input.now.toISOString(),
    sentAt: null,
  };
}

export function invitationMessage(input: MessageInput & { displayName: string; tenantName: string; link: string; expiresAt: string; publicUrl: string }): OutboxMessage {
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
      input.link,
      '',
      `The link works once and expires at ${input.expiresAt}. After that, sign in at ${input.publicUrl}.`,
      'If you did not expect this, ignore this message.',
    ].join('\n'),
  );
}

export function passwordResetMessage(input: MessageInput & { displayName: string; link: string; expiresAt: string }): OutboxMessage {
  return message(
    input,
    'password_reset',
    'Reset your Sophon password',
    [
      `Hello ${input.displayName},`,
      '',
      'An administrator started a password reset for your Sophon account. Set a new password with this one-time link:',
      input.link,
      '',
      `The link works once and expires at ${input.expiresAt}. Setting a new password signs you out everywhere.`,
      'If you did not expect this, tell your administrator.',
    ].join('\n'),
  );
}
