import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { idParams } from './schemas.ts';
import { me } from '../schemas/account.ts';
import { sessionList } from '../schemas/sessions.ts';
import { createdToken, tokenList } from '../schemas/tokens.ts';

const tokenInput = z.object({ name: z.string().max(100), expiresIn: z.string().max(20).optional() });

export const meRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/me',
    summary: 'The caller, their tenants and roles, and their effective permissions',
    tag: 'me',
    access: 'authenticated',
    response: me,
    async handler({ actor, services }) {
      return services.accounts.me(actor);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/me/tokens',
    summary: 'Your API tokens',
    tag: 'me',
    access: 'authenticated',
    response: tokenList,
    async handler({ actor, services }) {
      return { items: await services.tokens.listOwn(actor) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/me/tokens',
    summary: 'Create an API token; the secret is returned once',
    tag: 'me',
    access: 'authenticated',
    status: 201,
    body: tokenInput,
    response: createdToken,
    async handler({ actor, body, services }) {
      return services.tokens.create(actor, body);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/me/tokens/:id/rotate',
    summary: 'Replace one of your tokens with a new secret of the same name and lifetime',
    tag: 'me',
    access: 'authenticated',
    status: 201,
    params: idParams,
    response: createdToken,
    async handler({ actor, params, services }) {
      return services.tokens.rotateOwn(actor, params.id);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/me/tokens/:id',
    summary: 'Revoke one of your tokens, immediately',
    tag: 'me',
    access: 'authenticated',
    status: 204,
    params: idParams,
    async handler({ actor, params, services }) {
      await services.tokens.revokeOwn(actor, params.id);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/me/sessions',
    summary: 'Your active sessions',
    tag: 'me',
    access: 'authenticated',
    response: sessionList,
    async handler({ actor, services }) {
      return { items: await services.sessions.listOwn(actor) };
    },
  }),
];
