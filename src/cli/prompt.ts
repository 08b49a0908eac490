import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { usageError } from './exit-codes.ts';

/** Prompts need a person at a terminal: stdin must be one. They are written to stderr, so stdout stays clean for --json. */
export const isInteractive = (): boolean => Boolean(process.stdin.isTTY);

/**
 * One line reader for the whole command, with a queue: answers typed ahead or pasted
 * together are kept for the next question instead of being lost. Echo is muted for secrets.
 */
interface Terminal {
  readline: Interface;
  mute(muted: boolean): void;
  nextLine(): Promise<string>;
}

let terminal: Terminal | undefined;

function openTerminal(): Terminal {
  if (terminal) return terminal;
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, done) {
      if (!muted) process.stderr.write(chunk, encoding);
      done();
    },
  });
  const readline = createInterface({ input: process.stdin, output, terminal: true });
  const typed: string[] = [];
  const waiting: Array<{ resolve(line: string): void; reject(error: Error): void }> = [];
  let ended = false;
  readline.on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(line);
    else typed.push(line);
  });
  readline.on('close', () => {
    ended = true;
    for (const waiter of waiting.splice(0)) waiter.reject(usageError('no answer: the input ended.'));
  });
  // Ctrl+C at a prompt ends the command (130, as a shell reports SIGINT) rather than leaving it paused.
  readline.on('SIGINT', () => {
    process.stderr.write('\n');
    process.exit(130);
  });
  terminal = {
    readline,
    mute: (value) => void (muted = value),
    nextLine: () => {
      const line = typed.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended) return Promise.reject(usageError('no answer: the input ended.'));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
  return terminal;
}

/** Releases standard input once the command is done, so the process can end. */
export function closePrompts(): void {
  terminal?.readline.close();
  terminal = undefined;
}

export async function ask(question: string): Promise<string> {
  const { readline, mute, nextLine } = openTerminal();
  mute(false);
  readline.setPrompt(question);
  readline.prompt();
  return (await nextLine()).trim();
}

/** Asks without echoing what is typed. */
export async function askSecret(question: string): Promise<string> {
  const { readline, mute, nextLine } = openTerminal();
  mute(false);
  readline.setPrompt(question);
  readline.prompt();
  mute(true);
  try {
    return await nextLine();
  } finally {
    mute(false);
    readline.setPrompt('');
    process.stderr.write('\n');
  }
}

/**
 * Destructive commands go ahead with --yes; on a terminal they ask; with neither, they
 * refuse (a usage error) rather than act without anyone having agreed.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!isInteractive()) throw usageError(`${question.replace(/\?$/, '')}: refusing without a terminal to confirm; pass --yes.`);
  const answer = await ask(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer);
}

let stdinLines: string[] | undefined;

/** The next line of standard input, for scripts that pipe secrets in (`printf '%s\n' "$PASSWORD" | sophon auth login …`). */
export async function nextStdinLine(what: string): Promise<string>;
export async function nextStdinLine(what: string, options: { optional: true }): Promise<string | undefined>;
export async function nextStdinLine(what: string, options: { optional?: boolean } = {}): Promise<string | undefined> {
  if (stdinLines === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    stdinLines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  }
  const line = stdinLines.shift();
  if ((line === undefined || line === '') && options.optional) return undefined;
  if (line === undefined || line === '') throw usageError(`expected the ${what} on standard input, found nothing.`);
  return line;
}

/**
 * A value from a flag, else from a prompt on a terminal, else (for secrets) from the next
 * line of piped standard input; otherwise the flag is missing: a usage error.
 */
export async function obtain(value: string | undefined, what: string, options: { secret?: boolean; flag: string }): Promise<string> {
  if (value !== undefined && value !== '') return value;
  if (isInteractive()) {
    const answer = options.secret ? await askSecret(`${what}: `) : await ask(`${what}: `);
    if (!answer) throw usageError(`no ${what.toLowerCase()} given.`);
    return answer;
  }
  if (!options.secret) throw usageError(`give the ${what.toLowerCase()} with ${options.flag} (no terminal to ask on).`);
  return nextStdinLine(`${what.toLowerCase()} (or pass ${options.flag})`);
}
