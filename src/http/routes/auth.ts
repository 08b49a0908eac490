import { z } from 'zod';
import { CSRF_COOKIE, originOf, SESSION_COOKIE } from '../authenticate.ts';
import { defineRoute } from '../route.ts';
import { email, password } from './schemas.ts';

export const authRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/login',
    summary: 'Sign in with email and password; sets the session cookie',
    tag: 'auth',
    access: 'public',
    body: z.object({ email, password }),
    async handler({ body, services, request, reply }) {
      const result = await services.auth.login(body.email, body.password, originOf(request), request.cookies[SESSION_COOKIE]);
      const maxAge = Math.floor(services.context.settings.sessionAbsoluteTimeout / 1000);
      const secure = request.server.cookieSecure;
      reply.setCookie(SESSION_COOKIE, result.sessionToken, { httpOnly: true, sameSite: 'strict', path: '/', secure, maxAge });
      // Readable by the dashboard's script, which echoes it in X-CSRF-Token; a foreign page can't read it.
      reply.setCookie(CSRF_COOKIE, result.csrfToken, { httpOnly: false, sameSite: 'strict', path: '/', secure, maxAge });
      return {
        user: result.user,
        mustChangePassword: result.mustChangePassword,
        csrfToken: result.csrfToken,
        session: { id: result.session.id, expiresAt: result.session.expiresAt },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/logout',
    summary: 'End the current session on the server',
    tag: 'auth',
    access: 'authenticated',
    allowDuringPasswordChange: true,
    status: 204,
    async handler({ actor, services, reply }) {
      await services.auth.logout(actor);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.clearCookie(CSRF_COOKIE, { path: '/' });
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/auth/password',
    summary: 'Change your own password (required after a one-time password)',
    tag: 'auth',
    access: 'authenticated',
    allowDuringPasswordChange: true,
    body: z.object({ currentPassword: password, newPassword: password, endOtherSessions: z.boolean().optional() }),
    async handler({ actor, body, services }) {
      return services.auth.changePassword(actor, body.currentPassword, body.newPassword, { endOtherSessions: body.endOtherSessions });
    },
  }),
];
