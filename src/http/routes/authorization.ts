import { z } from 'zod';
import { MAX_CHECKS_PER_REQUEST, type AuthorizationQuestion } from '../../domain/access/authorization-check-service.ts';
import { defineRoute } from '../route.ts';
import { fail } from '../../domain/error-catalogue.ts';
import { authorizationCheck } from '../schemas/authorization.ts';

const question = z.strictObject({
  permission: z.string().max(200),
  tenant: z.string().min(1).max(100).optional(),
  user: z.string().min(1).max(100).optional(),
});

/** `{permission, tenant?, user?}` for one check, or `{checks: [...], user?}` for a batch answered in order. */
const checkInput = z.object({
  permission: z.string().max(200).optional(),
  tenant: z.string().min(1).max(100).optional(),
  user: z.string().min(1).max(100).optional(),
  checks: z.array(question).min(1).max(MAX_CHECKS_PER_REQUEST).optional(),
});

export const authorizationRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/authz/check',
    summary: "May the credential's holder (or a user you may see) use a permission in a tenant? For the platform's other services",
    tag: 'authz',
    // A question, not an action: any valid credential may ask it about itself (on behalf of another user needs ViewUsers, checked in the domain).
    access: 'authenticated',
    body: checkInput,
    response: authorizationCheck,
    async handler({ actor, body, services }) {
      if (body.checks) {
        if (body.permission !== undefined || body.tenant !== undefined) {
          throw fail('CHECKS_INVALID', { problem: 'send either {"permission","tenant"} or {"checks": [...]}, not both' }, { field: 'checks' });
        }
        const questions: AuthorizationQuestion[] = body.checks.map((check) => ({ ...check, user: check.user ?? body.user }));
        return { results: await services.authorizationChecks.check(actor, questions) };
      }
      if (body.permission === undefined) {
        throw fail('CHECKS_INVALID', { problem: 'send {"permission": "<name>", "tenant"?: "<slug>"} or {"checks": [{"permission","tenant"?}, …]}' }, { field: 'permission' });
      }
      const [answer] = await services.authorizationChecks.check(actor, [{ permission: body.permission, tenant: body.tenant, user: body.user }]);
      return answer!;
    },
  }),
];
