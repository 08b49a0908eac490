import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuditEntry } from '../audit/audit-event.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import { describeToken } from '../tokens/api-token.ts';
import type { SessionService } from '../sessions/session-service.ts';
import { detectAvatarType, type Avatar } from './avatar.ts';
import { hasUsablePassword } from './passwords.ts';
import { checkDisplayName, publicUser, type User } from './user.ts';
import type { UserService } from './user-service.ts';
import type { OneTimeLinkService } from './one-time-link-service.ts';
import type { OneTimeLinkPurpose } from './one-time-link.ts';
import { mailDeliveryOf, type MailDeliveryView } from '../mail/outbox.ts';
import { fail } from '../error-catalogue.ts';

/** `POST /users/:id/one-time-link`: a fresh link for the admin to hand over, and what it replaced. */
export interface HandedOverLink {
  delivery: 'manual';
  /** `invitation` while the user has never chosen a password, else `password_reset`. */
  purpose: OneTimeLinkPurpose;
  link: string;
  expiresAt: string;
  /** Queued invitation or reset mails withdrawn unsent: their links stopped working. */
  cancelledMessages: string[];
  /** Whether an initial password nobody had used yet stopped working. */
  initialPasswordRetired: boolean;
}

/**
 * The account around a user: activity for admins (last login, sessions, tokens, recent
 * actions), and the self-service settings (display name, avatar, sessions) that admins may
 * override for users they manage.
 */
export class AccountService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #users: UserService;
  readonly #links: OneTimeLinkService;
  readonly #sessions: SessionService;

  constructor(context: DomainContext, access: AccessService, users: UserService, links: OneTimeLinkService, sessions: SessionService) {
    this.#context = context;
    this.#access = access;
    this.#users = users;
    this.#links = links;
    this.#sessions = sessions;
  }

  /** GET /api/v1/me: the caller, their tenants and roles, their effective permissions and what the dashboard needs to know about their account. */
  async me(actor: Actor) {
    const { store } = this.#context;
    const [user, effective, avatarUpdatedAt] = await Promise.all([store.users.getById(actor.userId), this.#access.effectivePermissions(actor.userId), store.avatars.updatedAt(actor.userId)]);
    if (!user) throw fail('ACCOUNT_DELETED');
    const current = effective.tenants.find((entry) => entry.tenantId === actor.tenantId);
    return {
      user: publicUser(user),
      tenant: current ? { id: current.tenantId, slug: current.tenantSlug, role: current.roleName, permissions: current.permissions } : null,
      tenants: effective.tenants,
      permissions: effective.permissions,
      via: actor.tokenId ? ('token' as const) : ('session' as const),
      // An account single sign-on created has no local password: nothing that asks for one applies to it.
      hasPassword: hasUsablePassword(user.passwordHash),
      // When the avatar was set, or null without one: the dashboard asks for the image only when there is one.
      avatarUpdatedAt,
    };
  }

  async activity(actor: Actor, userId: string) {
    const { store } = this.#context;
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const user = await this.#users.loadVisible(actor, userId);
    const [sessions, tokens, identities, avatarUpdatedAt, twoFactor] = await Promise.all([
      // Only the sessions a request could still use: the deadline authentication applies.
      this.#sessions.listOpen(user.id, user.homeTenantId, null),
      store.tokens.listForUser(user.id),
      store.externalIdentities.listForUser(user.id),
      store.avatars.updatedAt(user.id),
      store.twoFactor.get(user.id),
    ]);
    // The count only (never the codes): how many recovery codes an enrolled user has left.
    const recoveryCodesLeft = twoFactor?.status === 'enabled' ? await store.twoFactor.countUnusedRecoveryCodes(user.id) : null;
    // Recent actions come from the audit log, so they need the right to read it; the mail's
    // delivery comes from the outbox, which ManageUsers reads (GET /mail/outbox).
    const [readsAudit, readsOutbox] = await Promise.all([this.#access.holds(actor, 'ViewAuditLogs', actor.tenantId), this.#access.holds(actor, 'ManageUsers', actor.tenantId)]);
    const [events, mail] = await Promise.all([
      readsAudit ? store.audit.query({ tenantId: actor.tenantId, userId: user.id, limit: 50 }) : undefined,
      readsOutbox ? store.mail.latestForUser(actor.tenantId, user.id) : undefined,
    ]);
    // With the names behind their ids, as GET /audit shows them.
    const recentEvents: AuditEntry[] | null = events ?? null;
    const lastMail: MailDeliveryView | null = mail ? mailDeliveryOf(mail) : null;
    return {
      user: publicUser(user),
      lastLogin: user.lastLoginAt ? { at: user.lastLoginAt, ip: user.lastLoginIp, userAgent: user.lastLoginUserAgent } : null,
      sessions,
      tokens: tokens.map(describeToken),
      hasPassword: hasUsablePassword(user.passwordHash),
      // When the avatar was set, or null without one (the dashboard then shows initials without asking for the image).
      avatarUpdatedAt,
      // The identity-provider accounts that sign in as this user (single sign-on).
      identities: identities.map(({ issuer, subject, createdAt, lastLoginAt }) => ({ issuer, subject, createdAt, lastLoginAt })),
      // The newest invitation, reset or account notice sent to the user from this tenant: queued
      // (with attempts and the last error while SMTP fails), sent, failed or cancelled. Null
      // when there is none, or without ManageUsers.
      lastMail,
      recoveryCodesLeft,
      recentEvents,
    };
  }

  /**
   * A fresh one-time link shown to the admin, to hand over themselves — for when a mail can't
   * reach the user (failed, or still queued). One first-login credential at a time: every
   * unused link of the user stops working, their queued invitation and reset mails are
   * withdrawn, and an initial password still unused expires now. An invitation link while
   * they have never chosen a password, else a reset link; their own password works until the
   * link is redeemed, as with a reset. An account change, guarded like a password reset.
   */
  async handOverLink(actor: Actor, userId: string): Promise<HandedOverLink> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.#users.loadForAccountChange(actor, userId, store);
      const now = this.#context.clock.now();
      const at = now.toISOString();
      await store.links.retireUnused(user.id, 'invitation', at);
      await store.links.retireUnused(user.id, 'password_reset', at);
      const cancelledMessages = await store.mail.cancelPendingForUser(user.homeTenantId, user.id, ['invitation', 'password_reset'], 'Cancelled: an admin handed over a one-time link instead.');
      const initialPasswordRetired =
        user.mustChangePassword && user.passwordExpiresAt !== null && hasUsablePassword(user.passwordHash) && Date.parse(user.passwordExpiresAt) > now.getTime();
      if (initialPasswordRetired) await store.users.update(user.id, { passwordExpiresAt: at, updatedAt: at });
      const purpose: OneTimeLinkPurpose = user.mustChangePassword ? 'invitation' : 'password_reset';
      const link = await this.#links.issue(store, user.id, purpose, actor.userId);
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: 'one_time_link.handed_over',
        subjectType: 'user',
        subjectId: user.id,
        detail: { purpose, expiresAt: link.expiresAt, cancelledMessages, initialPasswordRetired },
      });
      return { delivery: 'manual', purpose, link: link.url, expiresAt: link.expiresAt, cancelledMessages, initialPasswordRetired };
    });
  }

  /** Ends one session: your own, or (with ManageUsers in their home tenant) another user's. */
  async revokeSession(actor: Actor, userId: string, sessionId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      if (userId !== actor.userId) await this.#users.loadForAccountChange(actor, userId, store);
      const session = await store.sessions.getById(userId, sessionId);
      if (!session || session.endedAt) throw fail('SESSION_NOT_FOUND', { sessionId });
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
      if (!user) throw fail('ACCOUNT_DELETED');
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
    return this.#context.store.transaction(async (store) => {
      await this.#checkCanEdit(actor, userId, store);
      const contentType = detectAvatarType(data);
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
    if (!avatar) throw fail('AVATAR_NOT_FOUND');
    return avatar;
  }

  async #checkCanEdit(actor: Actor, userId: string, store: Store): Promise<void> {
    if (userId !== actor.userId) await this.#users.loadForAccountChange(actor, userId, store);
  }
}

/** Self-service lands in the user's home tenant's trail; an admin's override in the tenant they act in. */
function auditTenant(actor: Actor, userId: string): string {
  return userId === actor.userId ? actor.homeTenantId : actor.tenantId;
}
