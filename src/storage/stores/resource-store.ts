import type { Kysely } from 'kysely';
import type { OwnedResource, ResourceKind } from '../../domain/resources/resource.ts';
import type { ResourceStore } from '../../domain/resources/resource-store.ts';
import type { Database } from '../schema.ts';
import { fromJson, toJson } from './sql-helpers.ts';

const toResource = (row: Database['resources']): OwnedResource => ({
  id: row.id,
  tenantId: row.tenant_id,
  kind: row.kind as ResourceKind,
  name: row.name,
  ownerId: row.owner_id,
  previousOwnerId: row.previous_owner_id,
  orphanedAt: row.orphaned_at,
  content: fromJson(row.content),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function sqlResourceStore(db: Kysely<Database>): ResourceStore {
  return {
    async create(resource) {
      await db
        .insertInto('resources')
        .values({
          id: resource.id,
          tenant_id: resource.tenantId,
          kind: resource.kind,
          name: resource.name,
          owner_id: resource.ownerId,
          previous_owner_id: resource.previousOwnerId,
          orphaned_at: resource.orphanedAt,
          content: toJson(resource.content),
          created_at: resource.createdAt,
          updated_at: resource.updatedAt,
        })
        .execute();
    },
    async get(tenantId, kind, resourceId) {
      const row = await db.selectFrom('resources').selectAll().where('tenant_id', '=', tenantId).where('kind', '=', kind).where('id', '=', resourceId).executeTakeFirst();
      return row && toResource(row);
    },
    async list(tenantId, kind, query) {
      let select = db.selectFrom('resources').selectAll().where('tenant_id', '=', tenantId).where('kind', '=', kind);
      if (query.after) select = select.where('id', '>', query.after);
      return (await select.orderBy('id').limit(query.limit).execute()).map(toResource);
    },
    async update(tenantId, resourceId, changes) {
      await db
        .updateTable('resources')
        .set({ name: changes.name, content: toJson(changes.content), updated_at: changes.updatedAt })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', resourceId)
        .execute();
    },
    async delete(tenantId, resourceId) {
      await db.deleteFrom('resources').where('tenant_id', '=', tenantId).where('id', '=', resourceId).execute();
    },
    async orphanAllOf(ownerId, at) {
      const result = await db
        .updateTable('resources')
        .set({ owner_id: null, previous_owner_id: ownerId, orphaned_at: at })
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async reassignOrphans(tenantId, previousOwnerId, newOwnerId, at) {
      const result = await db
        .updateTable('resources')
        .set({ owner_id: newOwnerId, previous_owner_id: null, orphaned_at: null, updated_at: at })
        .where('tenant_id', '=', tenantId)
        .where('owner_id', 'is', null)
        .where('previous_owner_id', '=', previousOwnerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async countOrphans(filter) {
      if (filter.tenantIds?.length === 0) return [];
      let select = db
        .selectFrom('resources')
        .select(['tenant_id', (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('owner_id', 'is', null);
      if (filter.tenantIds) select = select.where('tenant_id', 'in', filter.tenantIds);
      if (filter.previousOwnerId !== undefined) select = select.where('previous_owner_id', '=', filter.previousOwnerId);
      if (filter.orphanedBefore !== undefined) select = select.where('orphaned_at', '<', filter.orphanedBefore);
      const rows = await select.groupBy('tenant_id').orderBy('tenant_id').execute();
      return rows.map((row) => ({ tenantId: row.tenant_id, count: Number(row.n) }));
    },
    async listOrphans(tenantId, orphanedBefore, limit) {
      const rows = await db
        .selectFrom('resources')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('owner_id', 'is', null)
        .where('orphaned_at', '<', orphanedBefore)
        .orderBy('orphaned_at')
        .limit(limit)
        .execute();
      return rows.map(toResource);
    },
    async deleteMany(tenantId, resourceIds) {
      if (resourceIds.length === 0) return 0;
      const result = await db.deleteFrom('resources').where('tenant_id', '=', tenantId).where('id', 'in', resourceIds).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async moveOwned(ownerId, fromTenantId, toTenantId, at) {
      const result = await db
        .updateTable('resources')
        .set({ tenant_id: toTenantId, updated_at: at })
        .where('owner_id', '=', ownerId)
        .where('tenant_id', '=', fromTenantId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}
