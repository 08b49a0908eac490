import type { AccessService } from '../access/access-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import type { Role } from '../roles/role.ts';
import { normalizeEmail } from './user.ts';
import { decodeCsv } from '../csv.ts';
import { encodeExport, inBatches, type ExportFormat } from '../export-format.ts';
import type { TenantMember } from './user-store.ts';
import { EXPORT_COLUMNS, parseImportCsv, type ImportRow } from './user-csv.ts';
import { hashPrepared, type CreatedUser, type PreparedUser } from './user-creation.ts';
import type { UserService } from './user-service.ts';
import { fail } from '../error-catalogue.ts';

export interface ImportOptions {
  /** Check every row and report, without creating anyone. */
  dryRun?: boolean;
  /** Create nobody unless every row is valid. */
  allOrNothing?: boolean;
  /** The encoding of a file given as bytes: UTF-8 unless it says otherwise (windows-1252, as Excel's plain "CSV" is). */
  encoding?: string;
}

/** A row of the users export: the import's columns first (so an export re-imports), then what only an export can say. */
export type UserExportRow = Record<(typeof EXPORT_COLUMNS)[number], string | null>;

export interface ImportProblem {
  code: string;
  message: string;
}

export type ImportRowResult =
  | ({ line: number; email: string; status: 'created' } & CreatedUser)
  | { line: number; email: string; status: 'valid' }
  | { line: number; email: string; status: 'rejected'; error: ImportProblem };

export interface ImportReport {
  dryRun: boolean;
  allOrNothing: boolean;
  /** Whether users were written: false on a dry run, or when all-or-nothing met a rejected row. */
  applied: boolean;
  counts: { rows: number; created: number; valid: number; rejected: number };
  rows: ImportRowResult[];
}

/**
 * The seed's bulk operations: `sophon admin users import users.csv` and `export --out users.csv`.
 *
 * Each row is a user created exactly as `POST /users` would (same checks, same invitation
 * mail or one-time password, same audit events); a row that fails a check is rejected with
 * its reason, the others go in. All accepted rows are written in one transaction, so an
 * import is never half-applied by a crash.
 */
export class UserCsvService {
  readonly #context: DomainContext;
  readonly #access: AccessService;
  readonly #users: UserService;

  constructor(context: DomainContext, access: AccessService, users: UserService) {
    this.#context = context;
    this.#access = access;
    this.#users = users;
  }

  async importCsv(actor: Actor, file: string | Uint8Array, options: ImportOptions = {}): Promise<ImportReport> {
    await this.#access.require(actor, 'ManageUsers', actor.tenantId);
    const rows = parseImportCsv(typeof file === 'string' ? file : decodeCsv(file, options.encoding));
    const dryRun = options.dryRun ?? false;
    const allOrNothing = options.allOrNothing ?? false;
    const results = new Map<number, ImportRowResult>();
    const refusals = new Map<number, DomainError>();
    const reject = (row: ImportRow, error: unknown) => {
      if (!(error instanceof DomainError)) throw error;
      results.set(row.line, { line: row.line, email: row.input.email, status: 'rejected', error: { code: error.code, message: error.message } });
      if (error.kind === 'forbidden') refusals.set(row.line, error);
    };

    // Checks that need no transaction, row by row; a repeated email is the later row's problem.
    const prepared: { row: ImportRow; user: PreparedUser }[] = [];
    const seen = new Map<string, number>();
    for (const row of rows) {
      try {
        const user = await this.#users.prepareCreate(actor, row.input);
        const earlier = seen.get(normalizeEmail(user.email));
        if (earlier !== undefined) throw fail('EMAIL_REPEATED', { email: user.email, earlier });
        seen.set(normalizeEmail(user.email), row.line);
        prepared.push({ row, user });
      } catch (error) {
        reject(row, error);
      }
    }

    // Nothing is written on a dry run or a doomed all-or-nothing import, so nothing needs hashing.
    const mayWrite = !dryRun && !(allOrNothing && results.size > 0);
    const hashed = mayWrite ? await hashPrepared(prepared.map(({ user }) => user)) : [];

    const created = await this.#context.store.transaction(async (store) => {
      const accepted: { index: number; role: Role }[] = [];
      for (const [index, { row, user }] of prepared.entries()) {
        try {
          accepted.push({ index, role: await this.#users.checkCreatable(store, actor, user) });
        } catch (error) {
          reject(row, error);
        }
      }
      if (dryRun || (allOrNothing && results.size > 0) || hashed.length === 0) return [];
      const inserted = [];
      for (const { index, role } of accepted) {
        inserted.push({ index, result: await this.#users.insertPrepared(store, actor, hashed[index]!, role, 'csv import') });
      }
      await recordAudit(this.#context, store, actor, {
        category: 'users',
        action: 'users.imported',
        detail: {
          rows: rows.length,
          created: inserted.length,
          rejected: results.size,
          rejectedLines: [...results.values()].map((result) => ({ line: result.line, code: result.status === 'rejected' ? result.error.code : null })).slice(0, 100),
        },
      });
      return inserted;
    });

    // A row refused for want of a permission is a refused authorization, audited as one would be
    // at the route, dry run or not: probing what an import may grant leaves a trace.
    if (refusals.size > 0) {
      await this.#context.store.transaction(async (store) => {
        for (const [line, error] of refusals) {
          await recordAudit(this.#context, store, actor, {
            category: 'authz',
            action: 'permission.denied',
            outcome: 'denied',
            detail: { via: 'csv import', line, code: error.code, missingPermission: error.details.missingPermission ?? null, tenant: error.details.tenant ?? null },
          });
        }
      });
    }

    for (const { index, result } of created) {
      const { row } = prepared[index]!;
      results.set(row.line, { line: row.line, email: result.created.email, status: 'created', ...(await this.#users.answerFor(result, hashed[index]!)) });
    }
    for (const { row, user } of prepared) {
      if (!results.has(row.line)) results.set(row.line, { line: row.line, email: user.email, status: 'valid' });
    }
    const ordered = rows.map((row) => results.get(row.line)!);
    const count = (status: ImportRowResult['status']) => ordered.filter((result) => result.status === status).length;
    return {
      dryRun,
      allOrNothing,
      applied: created.length > 0,
      counts: { rows: rows.length, created: count('created'), valid: count('valid'), rejected: count('rejected') },
      rows: ordered,
    };
  }

  /**
   * Every member of the tenant the request acts in (or, with `allTenants`, of every tenant
   * where the caller holds ViewUsers), one row per membership, with role, status, last
   * login and creation date, written out as it is read: each tenant's members in keyset
   * batches of EXPORT_BATCH_SIZE (one joined statement per batch, role and home tenant
   * included), so a tenant of any size streams in constant memory.
   *
   * Each batch is its own short query, not one transaction: a user created or removed while
   * the export runs is in it or not depending on where the export had got to (by user id), but
   * no member present throughout is missed or repeated, and each row is as it was when read.
   */
  async export(actor: Actor, options: { allTenants?: boolean; format: ExportFormat; batchSize?: number }): Promise<AsyncGenerator<string>> {
    await this.#access.require(actor, 'ViewUsers', actor.tenantId);
    const { store } = this.#context;
    const tenants = options.allTenants ? await this.#viewableTenants(actor) : [{ id: actor.tenantId, slug: (await store.tenants.getById(actor.tenantId))?.slug ?? actor.tenantId }];
    const batchSize = options.batchSize;
    async function* rows(): AsyncGenerator<UserExportRow[]> {
      for (const tenant of tenants) {
        for await (const batch of inBatches<TenantMember>((last, limit) => store.users.listMembers(tenant.id, { after: last?.user.id, limit }), batchSize)) {
          yield batch.map(({ user, role, homeTenantSlug }) => ({
            email: user.email,
            displayName: user.displayName,
            role: role.name,
            tenant: tenant.slug,
            status: user.status,
            lastLoginAt: user.lastLoginAt,
            createdAt: user.createdAt,
            homeTenant: homeTenantSlug,
            id: user.id,
          }));
        }
      }
    }
    return encodeExport(options.format, EXPORT_COLUMNS, rows(), (row) => row);
  }

  /** The tenants where the caller holds ViewUsers, read with their memberships in one statement (not a check per tenant). */
  async #viewableTenants(actor: Actor): Promise<{ id: string; slug: string }[]> {
    const own = await this.#access.effectivePermissions(actor.userId);
    return own.tenants
      .filter((entry) => entry.permissions.includes('ViewUsers'))
      .map((entry) => ({ id: entry.tenantId, slug: entry.tenantSlug }))
      .sort((a, b) => a.slug.localeCompare(b.slug));
  }
}
