import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { diffOf } from '../audit/audit-event.ts';
import { newId } from '../ids.ts';
import type { Actor, DomainContext } from '../context.ts';
import { resourceKinds, type OwnedResource, type ResourceCollection } from './resource.ts';
import { fail } from '../error-catalogue.ts';

export interface ResourceInput {
  name: string;
  content?: unknown;
}

const MAX_CONTENT_BYTES = 256 * 1024;
const MAX_CONTENT_DEPTH = 64;

/**
 * Agents, workflows, memory and documents: readable by every member of the tenant,
 * written by holders of the kind's Manage* permission, owned by their creator.
 */
export class ResourceService {
  readonly #context: DomainContext;
  readonly #access: AccessService;

  constructor(context: DomainContext, access: AccessService) {
    this.#context = context;
    this.#access = access;
  }

  async list(actor: Actor, collection: ResourceCollection, query: { cursor?: string; limit?: number }) {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    const rows = await this.#context.store.resources.list(actor.tenantId, resourceKinds[collection].kind, { after: query.cursor, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  async get(actor: Actor, collection: ResourceCollection, resourceId: string): Promise<OwnedResource> {
    const resource = await this.#context.store.resources.get(actor.tenantId, resourceKinds[collection].kind, resourceId);
    if (!resource) throw fail('RESOURCE_NOT_FOUND', { kind: resourceKinds[collection].kind, resource: resourceId });
    return resource;
  }

  async create(actor: Actor, collection: ResourceCollection, input: ResourceInput): Promise<OwnedResource> {
    const { kind, managePermission } = resourceKinds[collection];
    const name = checkName(input.name);
    checkContent(input.content);
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, managePermission, actor.tenantId, store);
      const now = this.#context.clock.now().toISOString();
      const resource: OwnedResource = {
        id: newId(),
        tenantId: actor.tenantId,
        kind,
        name,
        ownerId: actor.userId,
        previousOwnerId: null,
        orphanedAt: null,
        content: input.content ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await store.resources.create(resource);
      await recordAudit(this.#context, store, actor, {
        category: 'resources',
        action: `${kind}.created`,
        subjectType: kind,
        subjectId: resource.id,
        diff: { before: null, after: { name } },
      });
      return resource;
    });
  }

  async update(actor: Actor, collection: ResourceCollection, resourceId: string, input: Partial<ResourceInput>): Promise<OwnedResource> {
    const { kind, managePermission } = resourceKinds[collection];
    const name = input.name === undefined ? undefined : checkName(input.name);
    checkContent(input.content);
    return this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, managePermission, actor.tenantId, store);
      const resource = await store.resources.get(actor.tenantId, kind, resourceId);
      if (!resource) throw fail('RESOURCE_NOT_FOUND', { kind, resource: resourceId });
      const next = { ...resource, name: name ?? resource.name, content: input.content === undefined ? resource.content : input.content, updatedAt: this.#context.clock.now().toISOString() };
      await store.resources.update(actor.tenantId, resource.id, next);
      await recordAudit(this.#context, store, actor, {
        category: 'resources',
        action: `${kind}.updated`,
        subjectType: kind,
        subjectId: resource.id,
        diff: diffOf({ name: resource.name, contentChanged: false }, { name: next.name, contentChanged: input.content !== undefined }),
      });
      return next;
    });
  }

  async delete(actor: Actor, collection: ResourceCollection, resourceId: string): Promise<void> {
    const { kind, managePermission } = resourceKinds[collection];
    await this.#context.store.transaction(async (store) => {
      await this.#access.require(actor, managePermission, actor.tenantId, store);
      const resource = await store.resources.get(actor.tenantId, kind, resourceId);
      if (!resource) throw fail('RESOURCE_NOT_FOUND', { kind, resource: resourceId });
      await store.resources.delete(actor.tenantId, resource.id);
      await recordAudit(this.#context, store, actor, {
        category: 'resources',
        action: `${kind}.deleted`,
        subjectType: kind,
        subjectId: resource.id,
        diff: { before: { name: resource.name, ownerId: resource.ownerId }, after: null },
      });
    });
  }
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw fail('RESOURCE_NAME_INVALID');
  return trimmed;
}

function checkContent(content: unknown): void {
  if (content !== undefined && nestingOf(content) > MAX_CONTENT_DEPTH) {
    throw fail('RESOURCE_CONTENT_TOO_DEEP', { MAX_CONTENT_DEPTH });
  }
  if (content !== undefined && Buffer.byteLength(JSON.stringify(content)) > MAX_CONTENT_BYTES) {
    throw fail('RESOURCE_CONTENT_TOO_LARGE', { MAX_CONTENT_BYTES: MAX_CONTENT_BYTES / 1024 });
  }
}

/** How deeply objects and arrays nest in a JSON value, found without recursion (deep input must not overflow the stack). */
function nestingOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_CONTENT_DEPTH) return deepest;
    for (const member of Object.values(current)) pending.push([member, depth + 1]);
  }
  return deepest;
}
