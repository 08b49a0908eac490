import { sql, type RawBuilder } from 'kysely';

/**
 * The SQL mirror of `elevationInForce` (src/domain/roles/role-elevation.ts): an elevation row
 * (alias `alias`) grants while `now` is before its end. Times are fixed-width ISO-8601 UTC
 * text, so the comparison is the same as the domain's. The authorization statement writes the
 * same condition with its `:now` parameter (authorization-store.ts); role-store.test.ts checks
 * both against the domain's function at the boundary.
 */
export const elevationInForceSql = (alias: string, now: string): RawBuilder<boolean> => sql<boolean>`${sql.ref(`${alias}.ends_at`)} > ${now}`;

/** The role in force for an assignment row `assignment` with its (joined, maybe missing) elevation row `elevation`. */
export const roleIdInForceSql = (assignment: string, elevation: string, now: string): RawBuilder<string> =>
  sql<string>`case when ${sql.ref(`${elevation}.ends_at`)} > ${now} then ${sql.ref(`${elevation}.role_id`)} else ${sql.ref(`${assignment}.role_id`)} end`;
