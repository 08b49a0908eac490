import { Command } from 'commander';
import { action, examples } from '../action.ts';
import { endpoints } from '../endpoints.ts';
import { printLine, printTable } from '../output.ts';
import { tokenColumns, type TokenView } from './auth.ts';

export function adminTokensCommand(): Command {
  const tokens = new Command('tokens').description("any user's API tokens");

  tokens
    .command('list')
    .description("a user's API tokens")
    .requiredOption('--user <id>', 'user id or email')
    .addHelpText('after', examples('sophon admin tokens list --user <id>'))
    .action(
      action<{ user: string }>(async (context, _args, options) => {
        await context.authorize('ManageUsers');
        const user = await context.resolveUserId(options.user);
        const answer = await context.call<{ items: TokenView[] }>(endpoints.listUserTokens, { query: { user } });
        context.output(answer, () => printTable(answer.items, tokenColumns, `${options.user} has no API tokens.`));
      }),
    );

  tokens
    .command('revoke')
    .description("revoke any user's token; revocation is immediate")
    .argument('<token-id>', 'the token (see: sophon admin tokens list --user <id>)')
    .addHelpText('after', examples('sophon admin tokens revoke <token-id>'))
    .action(
      action(async (context, [tokenId]) => {
        await context.call(endpoints.revokeToken, { params: { id: tokenId! } });
        context.output({}, () => printLine(`Token ${tokenId} revoked.`));
      }),
    );

  return tokens;
}
