import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { idParams } from './schemas.ts';
import { tokenList } from '../schemas/tokens.ts';

export const tokenRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/tokens',
    summary: "A user's API tokens (sophon admin tokens list --user <id>)",
    tag: 'tokens',
    access: { permission: 'ManageUsers' },
    query: z.object({ user: z.string().min(1).max(100) }),
    response: tokenList,
    async handler({ actor, query, services }) {
      return { items: await services.tokens.listForUser(actor, query.user) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    summary: "Revoke any user's token, immediately (sophon admin tokens revoke <token-id>)",
    tag: 'tokens',
    access: { permission: 'ManageUsers' },
    status: 204,
    params: idParams,
    async handler({ actor, params, services }) {
      await services.tokens.revokeAny(actor, params.id);
    },
  }),
];
