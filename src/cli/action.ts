import type { Command } from 'commander';
import { CliContext } from './context.ts';

/**
 * Adapts a command's implementation to commander: builds the context (server, credential,
 * tenant) from the parsed command line and hands over the positional arguments and options.
 */
export function action<Options = Record<string, unknown>>(run: (context: CliContext, args: string[], options: Options) => Promise<void>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received.at(-1) as Command;
    const options = received.at(-2) as Options;
    const args = received.slice(0, -2) as string[];
    await run(new CliContext(command), args, options);
  };
}

/** The examples block at the end of a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}
