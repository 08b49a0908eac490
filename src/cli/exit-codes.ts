import type { ErrorCode } from '../domain/error-catalogue.ts';
/**
 * The CLI's exit codes, one per kind of outcome a script needs to tell apart.
 * Documented in docs/cli.md and at the end of `sophon --help`.
 */
export const ExitCode = {
  Success: 0,
  /** Validation failed, a conflict, or anything not covered below. */
  Failure: 1,
  /** The command line was wrong: unknown command or option, missing argument, bad value, or a destructive command without --yes and no terminal. */
  Usage: 2,
  /** Not signed in, the credential was rejected, or a permission is missing (checked by the CLI before sending, and by the server). */
  PermissionDenied: 3,
  /** The user, role, token or tenant named does not exist (or is not visible to you). */
  NotFound: 4,
  /** The server could not be reached, failed, or does not offer the endpoint the command needs. */
  ServerError: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const exitCodeHelp = `Exit codes:
  0  success
  1  failure: validation, conflict or another refusal by the server
  2  usage error: unknown command or option, missing or bad argument,
     or a destructive command with no terminal and no --yes
  3  permission denied: not signed in, credential rejected, or a permission
     is missing (then nothing was sent)
  4  not found: the user, role, token or tenant does not exist for you
  5  server or network error: unreachable, failing, or too old for the command`;

/** An outcome that ends the command with a message on stderr and a documented exit code. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;
  /** The API's error code (one of the server's catalogue, src/domain/error-catalogue.ts) when the server sent one, or the CLI's own. */
  readonly code: string | undefined;

  constructor(exitCode: ExitCode, message: string, code?: string) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
  }
}

export const usageError = (message: string) => new CliError(ExitCode.Usage, message);

/** Whether the command failed with this code of the server's catalogue (the compiler knows the codes). */
export function failedWith(error: unknown, code: ErrorCode): error is CliError {
  return error instanceof CliError && error.code === code;
}
