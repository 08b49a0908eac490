import { recordAudit } from '../audit/audit-log.ts';
import { hashSecret, newId, newSecret } from '../ids.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import type { UserService } from '../users/user-service.ts';
import type { AccessGuards } from '../access/guards.ts';
import { describeToken, TOKEN_PREFIX, type ApiToken } from './api-token.ts';
import { parseDuration } from './duration.ts';
import { fail } from '../error-catalogue.ts';

export type TokenView = ReturnType<typeof describeToken>;

const MAX_TOKEN_LIFETIME_MS = 5 * 365 * 86_400_000;
const DEFAULT_EXPIRES_IN = '90d';

export class TokenService {
  readonly #context: DomainContext;
  readonly #users: UserService;
  readonly #guards: AccessGuards;

  constructor(context: DomainContext, users: UserService, guards: AccessGuards) {
    this.#guards = guards;
    this.#context = context;
    this.#users = users;
  }

  /** Creates a token for the caller; the secret is in the answer once and never again. */
  async create(actor: Actor, input: { name: string; expiresIn?: string }): Promise<{ token: TokenView; secret: string }> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) throw fail('TOKEN_NAME_INVALID');
    const lifetime = parseDuration(input.expiresIn ?? DEFAULT_EXPIRES_IN, 'expiresIn');
    if (lifetime > MAX_TOKEN_LIFETIME_MS) throw fail('DURATION_INVALID', { field: 'expiresIn', problem: 'can be at most 1825d (five years)' });
    // Checked first for the plain case; the store's unique index settles a race between two creates.
    return this.#context.store.transaction(async (store) => {
      if (await store.tokens.findActiveByName(actor.userId, name)) throw fail('TOKEN_NAME_TAKEN', { name });
      return this.#issue(store, actor, name, lifetime, 'token.created');
    });
  }

  async listOwn(actor: Actor): Promise<TokenView[]> {
    return (await this.#context.store.tokens.listForUser(actor.userId)).map(describeToken);
  }

  async revokeOwn(actor: Actor, tokenId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      const token = await store.tokens.getById(tokenId);
      if (!token || token.userId !== actor.userId) throw tokenNotFound(tokenId);
      await this.#revoke(store, actor, token);
    });
  }

  /** Replaces one of the caller's tokens with a new secret of the same name and lifetime. */
  async rotateOwn(actor: Actor, tokenId: string): Promise<{ token: TokenView; secret: string }> {
    return this.#context.store.transaction(async (store) => {
      const token = await store.tokens.getById(tokenId);
      if (!token || token.userId !== actor.userId || token.revokedAt) throw tokenNotFound(tokenId);
      const lifetime = token.expiresAt ? Date.parse(token.expiresAt) - Date.parse(token.createdAt) : parseDuration(DEFAULT_EXPIRES_IN);
      await this.#revoke(store, actor, token);
      return this.#issue(store, actor, token.name, lifetime, 'token.rotated', { replaces: token.id });
    });
  }

  /** Any user's tokens, for admins who may manage that user. */
  async listForUser(actor: Actor, userReference: string): Promise<TokenView[]> {
    const user = await this.#users.loadManageable(actor, userReference);
    return (await this.#context.store.tokens.listForUser(user.id)).map(describeToken);
  }

  async revokeAny(actor: Actor, tokenId: string): Promise<void> {
    await this.#context.store.transaction(async (store) => {
      const found = await store.tokens.getById(tokenId);
      await this.#guards.mayRevokeToken(store, actor, found, tokenId);
      await this.#revoke(store, actor, found!);
    });
  }

  async #issue(store: Store, actor: Actor, name: string, lifetime: number, action: string, detail?: Record<string, unknown>) {
    const now = this.#context.clock.now();
    const secret = newSecret(TOKEN_PREFIX);
    const token: ApiToken = {
      id: newId(),
      userId: actor.userId,
      name,
      tokenHash: hashSecret(secret),
      prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + lifetime).toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    if ((await store.tokens.create(token)) === 'name_taken') throw fail('TOKEN_NAME_TAKEN', { name });
    await recordAudit(this.#context, store, actor, {
      tenantId: actor.homeTenantId,
      category: 'tokens',
      action,
      subjectType: 'token',
      subjectId: token.id,
      diff: { before: null, after: { name, expiresAt: token.expiresAt, prefix: token.prefix } },
      detail: detail ?? null,
    });
    return { token: describeToken(token), secret };
  }

  async #revoke(store: Store, actor: Actor, token: ApiToken): Promise<void> {
    if (token.revokedAt) return;
    const now = this.#context.clock.now().toISOString();
    await store.tokens.revoke(token.id, now);
    const owner = await store.users.getById(token.userId);
    await recordAudit(this.#context, store, actor, {
      tenantId: owner?.homeTenantId ?? actor.homeTenantId,
      category: 'tokens',
      action: 'token.revoked',
      subjectType: 'token',
      subjectId: token.id,
      diff: { before: { revokedAt: null }, after: { revokedAt: now } },
      detail: { name: token.name, ownerId: token.userId },
    });
  }
}

const tokenNotFound = (tokenId: string) => fail('TOKEN_NOT_FOUND', { tokenId });
