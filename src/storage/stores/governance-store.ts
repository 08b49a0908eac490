import { sql, type Kysely } from 'kysely';
import { elevationInForceSql } from './role-elevation-sql.ts';
import type { AccessReviewDecisionRecord, AccessReviewRecord, GovernanceStore, ReviewDecision, ReviewOutcome } from '../../domain/access/governance-store.ts';
import type { Permission } from '../../domain/permissions.ts';
import type { Role } from '../../domain/roles/role.ts';
import type { Database } from '../schema.ts';
import { toUser } from './user-store.ts';

const toRole = (row: Database['roles']): Role => ({
  id: row.id,
  name: row.name,
  description: row.description,
  tenantId: row.tenant_id,
  builtIn: Number(row.built_in) === 1,
  permissions: JSON.parse(row.permissions) as Permission[],
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toReview = (row: Database['access_reviews']): AccessReviewRecord => ({
  id: row.id,
  tenantId: row.tenant_id,
  reviewerId: row.reviewer_id,
  reviewerEmail: row.reviewer_email,
  stale: row.stale,
  staleBefore: row.stale_before,
  note: row.note,
  truncated: Number(row.truncated) === 1,
  createdAt: row.created_at,
  completedAt: row.completed_at,
});

const toDecision = (row: Database['access_review_decisions']): AccessReviewDecisionRecord => ({
  reviewId: row.review_id,
  position: Number(row.position),
  findingKind: row.finding_kind,
  subject: { type: row.subject_type, id: row.subject_id, email: row.subject_email, name: row.subject_name },
  detail: row.detail,
  decision: row.decision as ReviewDecision,
  outcome: row.outcome as ReviewOutcome,
  error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
});

/** Rows per INSERT: well under either engine's limit on bound parameters. */
const INSERT_BATCH = 500;

/** The reads of explain and access review, one statement each (see the interface). */
export function sqlGovernanceStore(db: Kysely<Database>): GovernanceStore {
  return {
    async listAssignmentsOfUser(userId, now) {
      const rows = await db
        .selectFrom('role_assignments as ra')
        .innerJoin('tenants as t', 't.id', 'ra.tenant_id')
        .leftJoin('role_elevations as e', (join) => join.onRef('e.user_id', '=', 'ra.user_id').onRef('e.tenant_id', '=', 'ra.tenant_id').on(elevationInForceSql('e', now)))
        .innerJoin('roles', (join) => join.on(sql<boolean>`${sql.ref('roles.id')} = coalesce(${sql.ref('e.role_id')}, ${sql.ref('ra.role_id')})`))
        .leftJoin('roles as permanent', 'permanent.id', 'ra.role_id')
        .leftJoin('users as assigner', (join) => join.on(sql<boolean>`${sql.ref('assigner.id')} = coalesce(${sql.ref('e.assigned_by')}, ${sql.ref('ra.assigned_by')})`))
        .selectAll('roles')
        .select([
          'ra.tenant_id as membership_tenant_id',
          't.slug as tenant_slug',
          'ra.assigned_at',
          'ra.assigned_by',
          'assigner.email as assigner_email',
          'e.ends_at as elevation_ends_at',
          'e.assigned_at as elevation_assigned_at',
          'e.assigned_by as elevation_assigned_by',
          'permanent.id as permanent_id',
          'permanent.name as permanent_name',
        ])
        .where('ra.user_id', '=', userId)
        .orderBy('ra.assigned_at')
        .orderBy('ra.tenant_id')
        .execute();
      return rows.map(
        ({ membership_tenant_id, tenant_slug, assigned_at, assigned_by, assigner_email, elevation_ends_at, elevation_assigned_at, elevation_assigned_by, permanent_id, permanent_name, ...role }) => {
          const by = elevation_ends_at === null ? assigned_by : elevation_assigned_by;
          return {
            tenantId: membership_tenant_id,
            tenantSlug: tenant_slug,
            role: toRole(role),
            assignedAt: elevation_assigned_at ?? assigned_at,
            assignedBy: by === null ? null : { id: by, email: assigner_email ?? null },
            endsAt: elevation_ends_at,
            thenRole: elevation_ends_at !== null && permanent_id !== null && permanent_name !== null ? { id: permanent_id, name: permanent_name } : null,
          };
        },
      );
    },

    async listRolesVisibleIn(tenantIds) {
      const rows = await db
        .selectFrom('roles')
        .selectAll()
        .where((eb) => (tenantIds.length === 0 ? eb('tenant_id', 'is', null) : eb.or([eb('tenant_id', 'is', null), eb('tenant_id', 'in', [...tenantIds])])))
        .orderBy('built_in', 'desc')
        .orderBy('name_normalized')
        .execute();
      return rows.map(toRole);
    },

    async listHoldersWithRoles(tenantId, roleIds, alsoIn, now) {
      if (roleIds.length === 0) return [];
      // The role in force for a row (`ra` with its elevation `e`): the elevation's while it lasts.
      const inForce = (ra: string, e: string) => sql<string>`coalesce(${sql.ref(`${e}.role_id`)}, ${sql.ref(`${ra}.role_id`)})`;
      const rows = await db
        .selectFrom('role_assignments as ra')
        .innerJoin('users as u', 'u.id', 'ra.user_id')
        .leftJoin('role_elevations as e', (join) => join.onRef('e.user_id', '=', 'ra.user_id').onRef('e.tenant_id', '=', 'ra.tenant_id').on(elevationInForceSql('e', now)))
        .select(['ra.user_id', 'ra.tenant_id', inForce('ra', 'e').as('role_id'), 'u.email', 'u.display_name'])
        .where('u.status', '=', 'active')
        .where('ra.tenant_id', 'in', [...new Set([tenantId, ...alsoIn])])
        .where('ra.user_id', 'in', (eb) =>
          eb
            .selectFrom('role_assignments as holder')
            .leftJoin('role_elevations as he', (join) => join.onRef('he.user_id', '=', 'holder.user_id').onRef('he.tenant_id', '=', 'holder.tenant_id').on(elevationInForceSql('he', now)))
            .select('holder.user_id')
            .where('holder.tenant_id', '=', tenantId)
            .where(inForce('holder', 'he'), 'in', [...roleIds]),
        )
        .orderBy('u.email_normalized')
        .orderBy('ra.tenant_id')
        .execute();
      return rows.map((row) => ({ user: { id: row.user_id, email: row.email, displayName: row.display_name }, tenantId: row.tenant_id, roleId: row.role_id }));
    },

    async latestRoleAssignedEvents(userId, tenantIds) {
      if (tenantIds.length === 0) return [];
      const rows = await db
        .selectFrom('audit_events')
        .select(['id', 'tenant_id', 'occurred_at', 'actor_id', 'actor_email', 'diff'])
        .where('tenant_id', 'in', [...tenantIds])
        .where('subject_id', '=', userId)
        .where('action', '=', 'role.assigned')
        .orderBy('id', 'desc')
        // A handful per tenant is plenty: only the newest of each is kept.
        .limit(20 * tenantIds.length)
        .execute();
      const newest = new Map<string, (typeof rows)[number]>();
      for (const row of rows) if (!newest.has(row.tenant_id)) newest.set(row.tenant_id, row);
      return [...newest.values()].map((row) => {
        const diff = row.diff ? (JSON.parse(row.diff) as { after?: { role?: unknown } | null }) : null;
        return {
          eventId: row.id,
          tenantId: row.tenant_id,
          occurredAt: row.occurred_at,
          actorId: row.actor_id,
          actorEmail: row.actor_email,
          roleName: typeof diff?.after?.role === 'string' ? diff.after.role : null,
        };
      });
    },

    async listReviewMembers(tenantId, { signedInBefore, adminRoleId, limit, now }) {
      const rows = await db
        .selectFrom('role_assignments as ra')
        .innerJoin('users as u', 'u.id', 'ra.user_id')
        .leftJoin('role_elevations as e', (join) => join.onRef('e.user_id', '=', 'ra.user_id').onRef('e.tenant_id', '=', 'ra.tenant_id').on(elevationInForceSql('e', now)))
        .innerJoin('roles as r', (join) => join.on(sql<boolean>`${sql.ref('r.id')} = coalesce(${sql.ref('e.role_id')}, ${sql.ref('ra.role_id')})`))
        .leftJoin('two_factor as tf', 'tf.user_id', 'u.id')
        .selectAll('u')
        .select(['r.id as role_id', 'r.name as role_name', 'r.built_in as role_built_in', 'tf.status as two_factor_status'])
        .where('ra.tenant_id', '=', tenantId)
        .where((eb) =>
          eb.or([
            eb.and([eb('u.last_login_at', 'is', null), eb('u.created_at', '<', signedInBefore)]),
            eb('u.last_login_at', '<', signedInBefore),
            eb('u.status', '=', 'suspended'),
            eb('r.id', '=', adminRoleId),
          ]),
        )
        .orderBy('u.id')
        .limit(limit)
        .execute();
      return rows.map(({ role_id, role_name, role_built_in, two_factor_status, ...user }) => ({
        user: toUser(user),
        role: { id: role_id, name: role_name, builtIn: Number(role_built_in) === 1 },
        twoFactorEnabled: two_factor_status === 'enabled',
      }));
    },

    async listEndingElevations(tenantId, { now, endsBefore, limit }) {
      const rows = await db
        .selectFrom('role_elevations as e')
        .innerJoin('role_assignments as ra', (join) => join.onRef('ra.user_id', '=', 'e.user_id').onRef('ra.tenant_id', '=', 'e.tenant_id'))
        .innerJoin('users as u', 'u.id', 'e.user_id')
        .innerJoin('roles as r', 'r.id', 'e.role_id')
        .innerJoin('roles as then', 'then.id', 'ra.role_id')
        .select(['u.id as user_id', 'u.email', 'u.display_name', 'r.id as role_id', 'r.name as role_name', 'then.id as then_id', 'then.name as then_name', 'e.ends_at', 'e.assigned_by', 'e.access_request_id'])
        .where('e.tenant_id', '=', tenantId)
        .where(elevationInForceSql('e', now))
        .where('e.ends_at', '<', endsBefore)
        .orderBy('e.ends_at')
        .orderBy('e.user_id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        user: { id: row.user_id, email: row.email, displayName: row.display_name },
        role: { id: row.role_id, name: row.role_name },
        thenRole: { id: row.then_id, name: row.then_name },
        endsAt: row.ends_at,
        assignedBy: row.assigned_by,
        accessRequestId: row.access_request_id,
      }));
    },

    async listReviewTokens(tenantId, { now, usedBefore, limit }) {
      const rows = await db
        .selectFrom('api_tokens as t')
        .innerJoin('role_assignments as ra', (join) => join.onRef('ra.user_id', '=', 't.user_id').on('ra.tenant_id', '=', tenantId))
        .innerJoin('users as u', 'u.id', 't.user_id')
        .select(['t.id', 't.name', 't.prefix', 't.created_at', 't.expires_at', 't.last_used_at', 'u.id as owner_id', 'u.email', 'u.display_name'])
        .where('t.revoked_at', 'is', null)
        .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
        .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.last_used_at', 'is', null), eb('t.last_used_at', '<', usedBefore)]))
        .orderBy('t.id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        lastUsedAt: row.last_used_at,
        owner: { id: row.owner_id, email: row.email, displayName: row.display_name },
      }));
    },

    async listUnheldCustomRoles(tenantId, includeGlobal, now) {
      const rows = await db
        .selectFrom('roles')
        .selectAll()
        .where('built_in', '=', 0)
        .where((eb) => (includeGlobal ? eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]) : eb('tenant_id', '=', tenantId)))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('role_assignments as ra').select('ra.user_id').whereRef('ra.role_id', '=', 'roles.id'))))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('role_elevations as e').select('e.user_id').whereRef('e.role_id', '=', 'roles.id').where(elevationInForceSql('e', now)))))
        .orderBy('name_normalized')
        .execute();
      return rows.map(toRole);
    },

    async createReview(review, decisions) {
      await db
        .insertInto('access_reviews')
        .values({
          id: review.id,
          tenant_id: review.tenantId,
          reviewer_id: review.reviewerId,
          reviewer_email: review.reviewerEmail,
          stale: review.stale,
          stale_before: review.staleBefore,
          note: review.note,
          truncated: review.truncated ? 1 : 0,
          created_at: review.createdAt,
          completed_at: review.completedAt,
        })
        .execute();
      for (let start = 0; start < decisions.length; start += INSERT_BATCH) {
        await db
          .insertInto('access_review_decisions')
          .values(
            decisions.slice(start, start + INSERT_BATCH).map((decision) => ({
              review_id: review.id,
              position: decision.position,
              finding_kind: decision.findingKind,
              subject_type: decision.subject.type,
              subject_id: decision.subject.id,
              subject_email: decision.subject.email,
              subject_name: decision.subject.name,
              detail: decision.detail,
              decision: decision.decision,
              outcome: decision.outcome,
              error_code: decision.error?.code ?? null,
              error_message: decision.error?.message ?? null,
            })),
          )
          .execute();
      }
    },

    async completeReview(reviewId, outcomes, completedAt) {
      for (const outcome of outcomes) {
        await db
          .updateTable('access_review_decisions')
          .set({ outcome: outcome.outcome, error_code: outcome.error?.code ?? null, error_message: outcome.error?.message ?? null })
          .where('review_id', '=', reviewId)
          .where('position', '=', outcome.position)
          .execute();
      }
      await db.updateTable('access_reviews').set({ completed_at: completedAt }).where('id', '=', reviewId).execute();
    },

    async listReviews(tenantId, { before, limit }) {
      let query = db
        .selectFrom('access_reviews as r')
        .leftJoin('access_review_decisions as d', 'd.review_id', 'r.id')
        .selectAll('r')
        .select((eb) => [
          eb.fn.count<string | number>('d.position').as('findings'),
          eb.fn.sum<string | number | null>(eb.case().when('d.outcome', '=', 'applied').then(1).else(0).end()).as('applied'),
          eb.fn.sum<string | number | null>(eb.case().when('d.outcome', '=', 'refused').then(1).else(0).end()).as('refused'),
        ])
        .where('r.tenant_id', '=', tenantId)
        .groupBy(['r.id', 'r.tenant_id', 'r.reviewer_id', 'r.reviewer_email', 'r.stale', 'r.stale_before', 'r.note', 'r.truncated', 'r.created_at', 'r.completed_at'])
        .orderBy('r.id', 'desc')
        .limit(limit);
      if (before !== undefined) query = query.where('r.id', '<', before);
      const rows = await query.execute();
      return rows.map(({ findings, applied, refused, ...review }) => ({ ...toReview(review), findings: Number(findings), applied: Number(applied ?? 0), refused: Number(refused ?? 0) }));
    },

    async getReview(tenantId, reviewId) {
      const rows = await db
        .selectFrom('access_reviews as r')
        .leftJoin('access_review_decisions as d', 'd.review_id', 'r.id')
        .selectAll('r')
        .select([
          'd.position',
          'd.finding_kind',
          'd.subject_type',
          'd.subject_id',
          'd.subject_email',
          'd.subject_name',
          'd.detail',
          'd.decision',
          'd.outcome',
          'd.error_code',
          'd.error_message',
        ])
        .where('r.tenant_id', '=', tenantId)
        .where('r.id', '=', reviewId)
        .orderBy('d.position')
        .execute();
      const [first] = rows;
      if (!first) return undefined;
      const review = toReview(first);
      const decisions = rows.flatMap((row) => (row.position === null ? [] : [toDecision({ ...(row as unknown as Database['access_review_decisions']), review_id: review.id })]));
      return { review, decisions };
    },

    async listDecisionsOfTenant(tenantId) {
      const rows = await db
        .selectFrom('access_reviews as r')
        .innerJoin('access_review_decisions as d', 'd.review_id', 'r.id')
        .selectAll('r')
        .select(['d.review_id', 'd.position', 'd.finding_kind', 'd.subject_type', 'd.subject_id', 'd.subject_email', 'd.subject_name', 'd.detail', 'd.decision', 'd.outcome', 'd.error_code', 'd.error_message'])
        .where('r.tenant_id', '=', tenantId)
        .orderBy('r.id')
        .orderBy('d.position')
        .execute();
      return rows.map((row) => ({ review: toReview(row), decision: toDecision(row) }));
    },
  };
}
