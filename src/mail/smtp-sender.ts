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

/**
 * nodemailer is loaded here, when SMTP is configured, not with the server's modules: a server
 * without SMTP never loads it (≈ 25 MB of resident memory, docs/performance.md, P7).
 */
export async function createSmtpSender(settings: SmtpSettings): Promise<MailSender> {
  const { default: nodemailer } = await import('nodemailer');
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
