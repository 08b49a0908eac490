import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuditEvent } from '../audit/audit-event.ts';
import { notFound } from '../errors.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import { describeToken } from '../tokens/api-token.ts';
import { sessionView } from '../sessions/session-service.ts';
import { detectAvatarType, type Avatar } from './avatar.ts';
import { hasUsablePassword } from './passwords.ts';
import { checkDisplayName, publicUser, type User } from './user.ts';
import type { UserService } from './user-service.ts';

/**
 * The account around a user: activity for admins (last login, sessions, tokens, recent
 * actions), and the self-service settings (display name, avatar, sessions) that admins may
 * override for users they manage.
 */
export class AccountService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #users: UserService;

  constructor(context: DomainContext, access: AccessService, users: UserService) {
    this.#context = context;
    this.#access = access;
    this.#users = users;
  }

  async activity(actor: Actor, userId: string) {
    const { store, clock } = this.#context;
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const user = await this.#users.loadVisible(actor, userId);
    const [sessions, tokens, identities] = await Promise.all([
      store.sessions.listActive(user.id, clock.now().toISOString()),
      store.tokens.listForUser(user.id),
      store.externalIdentities.listForUser(user.id),
    ]);
    // Recent actions come from the audit log, so they need the right to read it.
    let recentEvents: AuditEvent[] | null = null;
    if (await this.#access.holds(actor, 'ViewAuditLogs', actor.tenantId)) {
      recentEvents = await store.audit.query({ tenantId: actor.tenantId, userId: user.id, limit: 50 });
    }
    return {
      user: publicUser(user),
      lastLogin: user.lastLoginAt ? { at: user.lastLoginAt, ip: user.lastLoginIp, userAgent: user.lastLoginUserAgent } : null,
      sessions: sessions.map((session) => sessionView(session, null)),
      tokens: tokens.map(describeToken),
      hasPassword: hasUsablePassword(user.passwordHash),
      // The identity-provider accounts that sign in as this user (single sign-on).
      identities: identities.map(({ issuer, subject, createdAt, lastLoginAt }) => ({ issuer, subject, createdAt, lastLoginAt })),
      recentEvents,
    };
  }

  /** Ends one session: your own, or (with ManageUsers in their home tenant) another user's. */
  async revokeSession(actor: Actor, userId: string, sessionId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      if (userId !== actor.userId) await this.#users.loadManageable(actor, userId, store);
      const session = await store.sessions.getById(userId, sessionId);
      if (!session || session.endedAt) throw notFound('SESSION_NOT_FOUND', `No active session "${sessionId}" for this user.`);
      await store.sessions.end(session.id, this.#context.clock.now().toISOString(), userId === actor.userId ? 'revoked by user' : 'revoked by admin');
      await recordAudit(this.#context, store, actor, {
        tenantId: auditTenant(actor, userId),
        category: 'sessions',
        action: 'session.revoked',
        subjectType: 'user',
        subjectId: userId,
        detail: { sessionId },
      });
    });
  }

  async updateOwnProfile(actor: Actor, changes: { displayName?: string }): Promise<User> {
    return this.#context.store.transaction(async (store) => {
      const user = await store.users.getById(actor.userId);
      if (!user) throw notFound('USER_NOT_FOUND', 'Your account no longer exists.');
      const displayName = changes.displayName === undefined ? user.displayName : checkDisplayName(changes.displayName);
      const updatedAt = this.#context.clock.now().toISOString();
      await store.users.update(user.id, { displayName, updatedAt });
      await recordAudit(this.#context, store, actor, {
        tenantId: actor.homeTenantId,
        category: 'users',
        action: 'profile.updated',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { displayName: user.displayName }, after: { displayName } },
      });
      return publicUser({ ...user, displayName, updatedAt });
    });
  }

  /** Sets a user's avatar (their own, or as an admin who manages them); the type is read from the bytes. */
  async setAvatar(actor: Actor, userId: string, data: Buffer): Promise<{ contentType: string; bytes: number }> {
    const contentType = detectAvatarType(data);
    return this.#context.store.transaction(async (store) => {
      await this.#checkCanEdit(actor, userId, store);
      const updatedAt = this.#context.clock.now().toISOString();
      await store.avatars.set({ userId, contentType, data, updatedAt });
      await recordAudit(this.#context, store, actor, {
        tenantId: auditTenant(actor, userId),
        category: 'users',
        action: 'avatar.updated',
        subjectType: 'user',
        subjectId: userId,
        detail: { contentType, bytes: data.length },
      });
      return { contentType, bytes: data.length };
    });
  }

  async deleteAvatar(actor: Actor, userId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      await this.#checkCanEdit(actor, userId, store);
      await store.avatars.delete(userId);
      await recordAudit(this.#context, store, actor, {
        tenantId: auditTenant(actor, userId),
        category: 'users',
        action: 'avatar.deleted',
        subjectType: 'user',
        subjectId: userId,
      });
    });
  }

  /** Any member of the tenant may see the avatars of the tenant's users. */
  async getAvatar(actor: Actor, userId: string): Promise<Avatar> {
    if (userId !== actor.userId) await this.#users.loadVisible(actor, userId);
    const avatar = await this.#context.store.avatars.get(userId);
    if (!avatar) throw notFound('AVATAR_NOT_FOUND', 'This user has no avatar.');
    return avatar;
  }

  async #checkCanEdit(actor: Actor, userId: string, store: Store): Promise<void> {
    if (userId !== actor.userId) await this.#users.loadManageable(actor, userId, store);
  }
}

/** Self-service lands in the user's home tenant's trail; an admin's override in the tenant they act in. */
function auditTenant(actor: Actor, userId: string): string {
  return userId === actor.userId ? actor.homeTenantId : actor.tenantId;
}
