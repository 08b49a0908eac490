import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { allPermissions } from '../../domain/permissions.ts';
import { toCsv } from '../../domain/csv.ts';
import { action, examples } from '../action.ts';
import { durationArgument } from '../arguments.ts';
import type { CliContext, MeAnswer } from '../context.ts';
import { endpoints } from '../endpoints.ts';
import { CliError, ExitCode, usageError } from '../exit-codes.ts';
import { HttpClient } from '../http-client.ts';
import { formatValue, note, printLine, printTable, renderDetails } from '../output.ts';
import { confirm } from '../prompt.ts';

/** GET /api/v1/users/:id/explain (src/domain/access/explain.ts). */
interface Explanation {
  permission: string;
  installationWide: boolean;
  tenant: { slug: string };
  granted: boolean | null;
  timeBound: boolean;
  grantedBy: {
    tenant: { slug: string };
    role: { name: string };
    assignedAt: string;
    assignedBy: { id: string; email: string | null } | null;
    auditEvent: { occurredAt: string; actorEmail: string | null; actorId: string | null } | null;
    /** A time-bound assignment's end and the role that applies again then (absent from older servers). */
    endsAt?: string | null;
    thenRole?: { name: string } | null;
  } | null;
  reasons: { code: string; message: string }[];
  wouldGrant: { role: { id: string; name: string }; assignableBy: { id: string; email: string }[]; assignableByCount: number }[];
}
interface ExplainAnswer {
  user: { id: string; email: string; status: string };
  tenant: { slug: string };
  permissions: Explanation[];
}

/** GET /api/v1/access-review (src/domain/access/access-review.ts). */
interface AccessReviewAnswer {
  tenant: { slug: string; name: string };
  generatedAt: string;
  stale: string;
  staleBefore: string;
  counts: Record<string, number>;
  findings: { kind: string; subject: { type: string; id: string; email: string | null; name: string }; detail: string; facts: Record<string, unknown> }[];
  truncated: boolean;
}

const verdict = (entry: Explanation) => (entry.granted === null ? 'hidden' : entry.granted ? 'granted' : 'refused');

function grantLine(entry: Explanation): string {
  const grant = entry.grantedBy!;
  const by = grant.assignedBy ? (grant.assignedBy.email ?? grant.assignedBy.id) : 'the installation';
  const audit = grant.auditEvent ? `; audit: role.assigned ${formatValue(grant.auditEvent.occurredAt)} by ${grant.auditEvent.actorEmail ?? grant.auditEvent.actorId ?? 'the installation'}` : '';
  const term = grant.endsAt ? `time-bound until ${formatValue(grant.endsAt)}, then ${grant.thenRole?.name ?? 'the permanent role'} again` : 'not time-bound';
  return `through role ${grant.role.name} in tenant "${grant.tenant.slug}", assigned ${formatValue(grant.assignedAt)} by ${by}${audit}; ${term}`;
}

function printExplanation(answer: ExplainAnswer, entry: Explanation): void {
  printLine(`${entry.permission} for ${answer.user.email} in tenant "${entry.tenant.slug}": ${verdict(entry).toUpperCase()}`);
  if (entry.grantedBy) printLine(`  Held ${grantLine(entry)}.`);
  for (const reason of entry.reasons) printLine(`  ${reason.code}: ${reason.message}`);
  if (entry.wouldGrant.length > 0) {
    printLine('  Would grant it:');
    for (const offer of entry.wouldGrant) {
      const names = offer.assignableBy.map((person) => person.email);
      const more = offer.assignableByCount > names.length ? ` and ${offer.assignableByCount - names.length} more` : '';
      printLine(`    role ${offer.role.name}: ${names.length > 0 ? `ask ${names.join(', ')}${more}` : 'nobody active may assign it to them there'}`);
      printLine(`      sophon admin users set-role ${answer.user.id} --role ${offer.role.name} --tenant ${entry.tenant.slug}`);
    }
  }
}

/** A permission of the catalogue, in any case (`approveactions` is ApproveActions); anything else is a usage error. */
function permissionArgument(value: string): string {
  const found = allPermissions.find((permission) => permission.toLowerCase() === value.trim().toLowerCase());
  if (!found) throw new InvalidArgumentError(`"${value}" is not a permission of the catalogue (GET /api/v1/permissions lists them).`);
  return found;
}

/** `sophon admin users explain`: added to the users command. */
export function addExplainCommand(users: Command): void {
  users
    .command('explain')
    .description('why the user holds a permission in the tenant or not: the assignment that grants it (since when, by whom), else the reasons, the roles that would grant it and who may assign them; without a permission, all of them')
    .argument('<user-id>', 'user id or email')
    .argument('[permission]', 'a permission of the catalogue (any case); omitted: every permission', permissionArgument)
    .addHelpText(
      'after',
      examples('sophon admin users explain dana@example.com ApproveActions --tenant acme', 'sophon admin users explain <user-id>', 'sophon admin users explain <user-id> ManageWorkflows --json'),
    )
    .action(
      action(async (context, [reference, permission]) => {
        await context.authorize('ViewUsers');
        const id = await context.resolveUserId(reference!);
        const answer = await context.call<ExplainAnswer>(endpoints.explainAccess, { params: { id }, query: { permission } });
        context.output(answer, () => {
          if (permission !== undefined) {
            printExplanation(answer, answer.permissions[0]!);
            return;
          }
          printLine(`${answer.user.email} (${answer.user.id}) in tenant "${answer.tenant.slug}":`);
          printTable(answer.permissions, [
            { header: 'PERMISSION', value: (entry) => entry.permission },
            { header: 'TENANT', value: (entry) => entry.tenant.slug },
            { header: 'DECISION', value: verdict },
            { header: 'WHY', value: (entry) => (entry.grantedBy && entry.reasons.length === 0 ? `role ${entry.grantedBy.role.name}` : entry.reasons.map((reason) => reason.code).join(', ')) },
            { header: 'WOULD GRANT', value: (entry) => entry.wouldGrant.map((offer) => offer.role.name) },
          ]);
          note(`For the details of one: sophon admin users explain ${answer.user.id} <Permission>`);
        });
      }),
    );
}

const CSV_COLUMNS = ['kind', 'subject_type', 'subject_id', 'subject_email', 'subject_name', 'detail'] as const;

/** `sophon admin access-review`. */
export function adminAccessReviewCommand(): Command {
  return new Command('access-review')
    .description(
      'what in a tenant deserves a second look: users not signed in for the stale period (or never), suspended Admins, Admins without 2FA, API tokens unused, never used or without expiry, custom roles nobody holds, orphaned data',
    )
    .option('--stale <duration>', 'how old activity must be to count as stale: 90m, 12h, 90d… (default 90d)', durationArgument)
    .option('--csv', 'print the findings as CSV (kind, subject, detail), for auditors; not with --json')
    .addHelpText(
      'after',
      examples('sophon admin access-review', 'sophon admin access-review --tenant acme --stale 30d', 'sophon admin access-review --tenant acme --csv > acme-review.csv', 'sophon admin access-review --json'),
    )
    .action(
      action<{ stale?: string; csv?: boolean }>(async (context, _args, options) => {
        if (options.csv && context.json) throw usageError('choose one of --csv and --json.');
        const tenant = await reviewedTenant(context);
        const answer = await context.call<AccessReviewAnswer>(endpoints.accessReview, { query: { stale: options.stale, tenant } });
        if (options.csv) {
          process.stdout.write(
            toCsv(
              CSV_COLUMNS,
              answer.findings.map((finding) => ({
                kind: finding.kind,
                subject_type: finding.subject.type,
                subject_id: finding.subject.id,
                subject_email: finding.subject.email,
                subject_name: finding.subject.name,
                detail: finding.detail,
              })),
            ),
          );
          return;
        }
        context.output(answer, () => {
          printLine(`Access review of tenant "${answer.tenant.slug}" (${answer.tenant.name}), stale: older than ${answer.stale} (before ${formatValue(answer.staleBefore)}).`);
          printTable(answer.findings, [
            { header: 'KIND', value: (finding) => finding.kind },
            { header: 'SUBJECT', value: (finding) => `${finding.subject.type}:${finding.subject.id}` },
            { header: 'WHO / WHAT', value: (finding) => (finding.subject.email && finding.subject.type !== 'user' ? `${finding.subject.name} of ${finding.subject.email}` : (finding.subject.email ?? finding.subject.name)) },
            { header: 'DETAIL', value: (finding) => finding.detail },
          ], 'No findings.');
          printLine();
          printLine(`${answer.findings.length} finding(s): ${Object.entries(answer.counts).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none'}.`);
          if (answer.truncated) note('The report was cut at the server’s limit: there are more findings than listed.');
        });
      }),
    );
}

/**
 * The tenant to review. --tenant where you have a role is the request's tenant (X-Sophon-Tenant);
 * one where you have none is asked for with ?tenant= from `default`, which the server allows
 * installation admins (ManageTenants, ViewAuditLogs, ViewUsers there).
 */
async function reviewedTenant(context: CliContext): Promise<string | undefined> {
  const named = context.options.tenant;
  if (named === undefined) return undefined;
  const me = (await new HttpClient(context.url, context.client.credential).send<MeAnswer>(endpoints.me)).body;
  if (me.tenants.some((tenant) => tenant.tenantSlug === named || tenant.tenantId === named)) return undefined;
  context.actIn('default');
  await context.authorize('ManageTenants');
  return named;
}

/** POST/GET /api/v1/access-reviews. */
interface RecordedReview {
  review: { id: string; tenant: string; reviewerEmail: string; stale: string; note: string | null; createdAt: string; completedAt: string | null };
  decisions: { findingKind: string; subject: { type: string; id: string; email: string | null; name: string }; detail: string; decision: string; outcome: string; error: { code: string; message: string } | null }[];
}
interface ReviewSummary {
  id: string;
  reviewerEmail: string;
  stale: string;
  createdAt: string;
  completedAt: string | null;
  findings: number;
  applied: number;
  refused: number;
  note: string | null;
}

const DECISIONS = ['keep', 'suspend', 'revoke_token', 'remove_role'] as const;

/** `--decide <kind>:<subject-id>=<decision>`, repeatable. */
function decideArgument(value: string, previous: { kind: string; subjectId: string; decision: string }[] = []) {
  const match = /^([a-z_]+):([^=\s]+)=([a-z_]+)$/.exec(value.trim());
  if (!match || !(DECISIONS as readonly string[]).includes(match[3]!)) {
    throw new InvalidArgumentError(`"${value}" is not <finding-kind>:<subject-id>=<decision> with a decision among ${DECISIONS.join(', ')} (e.g. token_unused:<token-id>=revoke_token).`);
  }
  return [...previous, { kind: match[1]!, subjectId: match[2]!, decision: match[3]! }];
}

function printDecisions(decisions: RecordedReview['decisions']): void {
  printTable(decisions, [
    { header: 'FINDING', value: (entry) => entry.findingKind },
    { header: 'SUBJECT', value: (entry) => `${entry.subject.type}:${entry.subject.id}` },
    { header: 'WHO / WHAT', value: (entry) => entry.subject.email ?? entry.subject.name },
    { header: 'DECISION', value: (entry) => entry.decision },
    { header: 'OUTCOME', value: (entry) => (entry.error ? `${entry.outcome}: ${entry.error.code}` : entry.outcome) },
  ], 'No findings.');
}

/** `sophon admin access-reviews record|list|show|export`: reviews kept as records. */
export function adminAccessReviewsCommand(): Command {
  const reviews = new Command('access-reviews').description("access reviews kept as records: a review of the tenant's findings with a decision on each, carried out through the ordinary commands");

  reviews
    .command('record')
    .description("take the tenant's access review now and keep it with a decision on each finding: keep (the default), suspend, revoke_token or remove_role (a user's membership here, or a custom role nobody holds), each carried out through its ordinary command and recorded with its outcome")
    .option('--stale <duration>', 'how old activity must be to count as stale (default 90d)', durationArgument)
    .option('--decide <kind:subject-id=decision>', 'a decision on one finding, repeatable (e.g. token_unused:<token-id>=revoke_token)', decideArgument)
    .option('--note <text>', 'a note kept with the review')
    .option('--yes', 'do not ask for confirmation before changing anything')
    .addHelpText(
      'after',
      examples(
        'sophon admin access-reviews record --tenant acme --note "Q4 review"',
        'sophon admin access-reviews record --tenant acme --decide user_not_signed_in:<user-id>=suspend --decide token_without_expiry:<token-id>=revoke_token --yes',
        'sophon admin access-reviews record --stale 30d --json',
      ),
    )
    .action(
      action<{ stale?: string; decide?: { kind: string; subjectId: string; decision: string }[]; note?: string; yes?: boolean }>(async (context, _args, options) => {
        const changes = (options.decide ?? []).filter((entry) => entry.decision !== 'keep');
        await context.authorize('ViewAuditLogs');
        if (changes.length > 0 && !(await confirm(`Record the review and carry out ${changes.length} decision(s) (${changes.map((entry) => `${entry.decision} ${entry.subjectId}`).join(', ')})?`, options.yes))) {
          return void note('Nothing recorded.');
        }
        const answer = await context.call<RecordedReview>(endpoints.recordAccessReview, { body: { stale: options.stale, note: options.note, decisions: options.decide } });
        context.output(answer, () => {
          printLine(`Recorded access review ${answer.review.id} of tenant "${answer.review.tenant}" (stale: ${answer.review.stale}).`);
          printDecisions(answer.decisions);
          const refused = answer.decisions.filter((entry) => entry.outcome === 'refused');
          for (const entry of refused) note(`Refused: ${entry.decision} ${entry.subject.type}:${entry.subject.id}: ${entry.error?.message ?? ''}`);
        });
      }),
    );

  reviews
    .command('list')
    .description("past access reviews of the tenant, newest first, with their counts")
    .addHelpText('after', examples('sophon admin access-reviews list --tenant acme', 'sophon admin access-reviews list --json'))
    .action(
      action(async (context) => {
        const page = await context.call<{ items: ReviewSummary[]; nextCursor: string | null }>(endpoints.listAccessReviews, { query: { limit: 200 } });
        context.output(page, () =>
          printTable(page.items, [
            { header: 'ID', value: (review) => review.id },
            { header: 'REVIEWED', value: (review) => review.createdAt },
            { header: 'REVIEWER', value: (review) => review.reviewerEmail },
            { header: 'STALE', value: (review) => review.stale },
            { header: 'FINDINGS', value: (review) => review.findings },
            { header: 'APPLIED', value: (review) => review.applied },
            { header: 'REFUSED', value: (review) => review.refused },
            { header: 'NOTE', value: (review) => review.note },
          ], 'No access reviews recorded in this tenant.'),
        );
      }),
    );

  reviews
    .command('show')
    .description('one past access review: every finding, its decision and outcome')
    .argument('<review-id>', 'the id printed by record or list')
    .addHelpText('after', examples('sophon admin access-reviews show <review-id>', 'sophon admin access-reviews show <review-id> --json'))
    .action(
      action(async (context, [id]) => {
        const answer = await context.call<RecordedReview>(endpoints.getAccessReview, { params: { id: id! } });
        context.output(answer, () => {
          printLine(
            renderDetails([
              ['Review', answer.review.id],
              ['Tenant', answer.review.tenant],
              ['Reviewer', answer.review.reviewerEmail],
              ['Reviewed', answer.review.createdAt],
              ['Completed', answer.review.completedAt ?? 'not completed (interrupted while applying)'],
              ['Stale', answer.review.stale],
              ['Note', answer.review.note],
            ]),
          );
          printLine();
          printDecisions(answer.decisions);
        });
      }),
    );

  reviews
    .command('export')
    .description("every decision of the tenant's access reviews as CSV, one row per finding, oldest review first, for auditors (the export is audited)")
    .option('--out <file>', 'write to this file (created readable by you only); without it, to standard output')
    .addHelpText('after', examples('sophon admin access-reviews export --tenant acme --out acme-reviews.csv', 'sophon admin access-reviews export > reviews.csv'))
    .action(
      action<{ out?: string }>(async (context, _args, options) => {
        const csv = await context.call<string>(endpoints.exportAccessReviews);
        if (options.out) {
          try {
            writeFileSync(options.out, csv, { mode: 0o600 });
          } catch (error) {
            throw new CliError(ExitCode.Failure, `cannot write ${options.out}: ${(error as Error).message}`);
          }
          note(`Wrote ${options.out}.`);
        } else {
          process.stdout.write(csv);
        }
      }),
    );

  return reviews;
}
