import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on loopback that keeps what it receives. It can be stopped and
 * started again on the same port, to play an SMTP outage.
 */
export class MailSink {
  readonly messages: ReceivedMail[] = [];
  port = 0;
  #server: SMTPServer | undefined;

  async start(): Promise<void> {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.messages.push({ to: session.envelope.rcptTo.map((address) => address.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    const server = this.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as { port: number }).port;
  }

  /**
   * The closed-port variant: picks a free loopback port and leaves nothing listening on it, so
   * a server pointed here (environment()) meets ECONNREFUSED on every attempt, until start()
   * opens the sink on that same port.
   */
  async useClosedPort(): Promise<void> {
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The Sophon settings that point the server at this sink. */
  environment(): Record<string, string> {
    return { Sophon__Smtp__Host: '127.0.0.1', Sophon__Smtp__Port: String(this.port), Sophon__Smtp__Tls: 'none', Sophon__Smtp__From: 'sophon@example.test' };
  }

  /** Waits until a message for `recipient` arrives (the outbox worker polls), then returns it. */
  async waitFor(recipient: string, count = 1, timeoutMs = 15_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const received = this.messages.filter((message) => message.to.includes(recipient));
      if (received.length >= count) return received[count - 1]!;
      if (Date.now() > deadline) throw new Error(`no mail #${count} for ${recipient} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The one-time link's token in a received mail (quoted-printable soft breaks undone). */
export function linkTokenIn(mail: ReceivedMail): string {
  const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const match = /set-password#token=([A-Za-z0-9_-]+)/.exec(text);
  if (!match?.[1]) throw new Error(`no one-time link in:\n${text}`);
  return match[1];
}
