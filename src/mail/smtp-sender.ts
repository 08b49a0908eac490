import nodemailer from 'nodemailer';
import type { MailSender } from '../domain/mail/outbox-worker.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  /** "none": plain; "starttls": upgrade required; "tls": implicit TLS (port 465). */
  tls: 'none' | 'starttls' | 'tls';
  from: string;
  username?: string;
  password?: string;
}

export function createSmtpSender(settings: SmtpSettings): MailSender {
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'tls',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    auth: settings.username ? { user: settings.username, pass: settings.password ?? '' } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(message) {
      await transport.sendMail({ from: settings.from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}
