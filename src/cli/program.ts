import { Command, CommanderError } from 'commander';
import { examples } from './action.ts';
import { adminAuditCommand } from './commands/admin-audit.ts';
import { adminAccessReviewCommand, adminAccessReviewsCommand } from './commands/admin-governance.ts';
import { adminAccessRequestsCommand } from './commands/access-requests.ts';
import { adminRolesCommand } from './commands/admin-roles.ts';
import { adminTenantsCommand } from './commands/admin-tenants.ts';
import { adminTokensCommand } from './commands/admin-tokens.ts';
import { adminUsersCommand } from './commands/admin-users.ts';
import { authCommand } from './commands/auth.ts';
import { DEFAULT_URL } from './context.ts';
import { credentialFilePath } from './credential-file.ts';
import { CliError, ExitCode, exitCodeHelp } from './exit-codes.ts';
import { cliVersion } from './http-client.ts';
import { closePrompts } from './prompt.ts';

const environmentHelp = `Environment:
  SOPHON_URL          server URL (after --url; default ${DEFAULT_URL})
  SOPHON_TOKEN        API token (after --token; before the stored login)
  SOPHON_CLI_CONFIG   where "auth login" stores its token
                      (default $XDG_CONFIG_HOME/sophon/credentials.json or ~/.config/sophon/credentials.json)`;

/** Gives every command the same error handling and help layout (they inherit it when added). */
function configure(command: Command): Command {
  command
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  for (const child of command.commands) configure(child);
  return command;
}

export function buildProgram(): Command {
  const program = new Command('sophon')
    .description('Sophon Identity: run the server (serve) or administer one over its HTTP API')
    .version(cliVersion, '-V, --version')
    .option('--url <url>', `server URL (env SOPHON_URL, else the stored login's, else ${DEFAULT_URL})`)
    .option('--token <token>', 'API token (env SOPHON_TOKEN, else the stored login)')
    .option('--tenant <slug>', 'the tenant to act in (X-Sophon-Tenant); default: your home tenant')
    .option('--json', "print the API's JSON answer unchanged, for scripts")
    .addHelpText('after', `\n${environmentHelp}\n\n${exitCodeHelp}\n\nStored login: ${credentialFilePath()}\n${examples('sophon auth login', 'sophon admin users list --tenant acme', 'sophon admin users set-role <user-id> --role admin --tenant acme')}`);

  program
    .command('serve')
    .description('start the Sophon Identity server (the only command that opens the database); configured by appsettings.json and SOPHON_PORT, SOPHON_HOST, SOPHON_DATA_DIR, SOPHON_DATABASE_URL, SOPHON_BOOTSTRAP_ADMIN_EMAIL')
    .addHelpText('after', examples('sophon serve', 'SOPHON_PORT=9090 SOPHON_DATABASE_URL=postgres://sophon@db/sophon sophon serve'))
    .action(async () => {
      const { serve } = await import('./serve.ts');
      await serve();
    });

  program.addCommand(authCommand());

  const admin = new Command('admin').description('administer users, roles, tokens, tenants and the audit log (needs the matching permissions)');
  admin.addCommand(adminUsersCommand());
  admin.addCommand(adminRolesCommand());
  admin.addCommand(adminTokensCommand());
  admin.addCommand(adminTenantsCommand());
  admin.addCommand(adminAuditCommand());
  admin.addCommand(adminAccessReviewCommand());
  admin.addCommand(adminAccessReviewsCommand());
  admin.addCommand(adminAccessRequestsCommand());
  program.addCommand(admin);

  return configure(program);
}

/** Runs the command line and answers the exit code; messages go to stderr, results to stdout. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Success;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version asked for are a success; help shown for a missing subcommand, and every parse error, are usage errors.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? ExitCode.Success : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`sophon: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`sophon: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return ExitCode.Failure;
  } finally {
    closePrompts();
  }
}
