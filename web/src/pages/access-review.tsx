import { useState, type FormEvent } from 'react';
import { download, get, post, query } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, formatTime, Loading, Pager, useAction, useLoad, usePages } from '../components/ui.tsx';
import { Link, navigate, useLocation } from '../router.tsx';
import { useMe } from '../session.tsx';
import type { AccessReviewFinding, AccessReviewReport as Report, AccessReviewSummary as ReviewSummary, Page, RecordedReview, TenantMembership } from '../types.ts';

/**
 * Admin → Access review (issue 9, docs/governance.md): the report of one tenant
 * (`GET /api/v1/access-review`), its findings grouped by kind, a decision on each, and the
 * review recorded in one step (`POST /api/v1/access-reviews`), which carries each decision out
 * through the ordinary guarded command; past reviews with their decisions; CSV for auditors.
 */

// The shapes the API answers (src/http/schemas/governance.ts).
type Finding = AccessReviewFinding;
type DecisionRecord = RecordedReview['decisions'][number];
type Decision = DecisionRecord['decision'];
type Subject = Finding['subject'] | DecisionRecord['subject'];

/** The kinds in the order the page shows them, with the group's heading (`{stale}`: the window in words). */
const KIND_HEADINGS: Record<string, string> = {
  user_not_signed_in: 'Users not signed in for {stale}',
  user_never_signed_in: 'Users who never signed in',
  suspended_admin: 'Suspended users still holding Admin',
  admin_without_two_factor: 'Admins without two-factor authentication',
  assignment_ending_soon: 'Time-bound assignments ending soon',
  token_unused: 'API tokens unused for {stale}',
  token_never_used: 'API tokens never used',
  token_without_expiry: 'API tokens without expiry',
  role_without_holders: 'Custom roles nobody holds',
  orphaned_resource: 'Orphaned data',
};

/** A kind the server added after this page: its own name, readable. */
const kindHeading = (kind: string, stale: string) => (KIND_HEADINGS[kind] ?? kind.replace(/_/g, ' ').replace(/^./, (first) => first.toUpperCase())).replace('{stale}', staleInWords(stale));

/** The decisions the server accepts per subject (DECISIONS_FOR in access-review-service.ts). */
const DECISIONS_FOR: Record<string, readonly Decision[]> = {
  user: ['keep', 'suspend', 'remove_role'],
  token: ['keep', 'revoke_token'],
  role: ['keep', 'remove_role'],
  resource: ['keep'],
};

function decisionLabel(decision: Decision, type: string, tenant: string): string {
  if (decision === 'keep') return 'Keep';
  if (decision === 'suspend') return 'Suspend user';
  if (decision === 'revoke_token') return 'Revoke token';
  return type === 'role' ? 'Remove role (delete it)' : `Remove role in ${tenant}`;
}

const UNITS = [
  { unit: 'd', label: 'days' },
  { unit: 'h', label: 'hours' },
  { unit: 'm', label: 'minutes' },
] as const;

function staleInWords(stale: string): string {
  const amount = Number(stale.slice(0, -1));
  const label = UNITS.find((entry) => entry.unit === stale.at(-1))?.label ?? '';
  return `${amount} ${amount === 1 ? label.slice(0, -1) : label}`;
}

/** The tenants where the caller may review (ViewAuditLogs and ViewUsers, as the service requires), the acting one first. */
function useReviewableTenants(): { tenants: TenantMembership[]; acting: string | undefined } {
  const me = useMe();
  const tenants = me.tenants.filter((membership) => membership.permissions.includes('ViewAuditLogs') && membership.permissions.includes('ViewUsers'));
  const acting = tenants.find((membership) => membership.tenantId === me.tenant?.id)?.tenantSlug ?? tenants[0]?.tenantSlug;
  return { tenants, acting };
}

export function AccessReviewPage() {
  const { search } = useLocation();
  const { tenants, acting } = useReviewableTenants();
  const tenant = search.get('tenant') ?? acting ?? '';
  const stale = search.get('stale') ?? '';
  const exportable = tenants.find((membership) => membership.tenantSlug === tenant)?.permissions.includes('ExportAuditLogs') ?? false;

  return (
    <>
      <header className="page-header">
        <h1>Access review</h1>
      </header>
      <p className="muted">
        What in a tenant deserves a second look: stale users, suspended Admins, Admins without 2FA, unused or non-expiring API tokens, custom roles nobody holds, orphaned data. Decide on each
        finding and record the review: each decision is carried out through its ordinary command, with its own permission and guards, and the record keeps what came of it.
      </p>
      <ReportForm key={`form|${tenant}|${stale}`} tenants={tenants} tenant={tenant} stale={stale} />
      {stale && tenant ? <ReportView key={`report|${tenant}|${stale}`} tenant={tenant} stale={stale} /> : null}
      {tenant && <PastReviews key={tenant} tenant={tenant} exportable={exportable} />}
    </>
  );
}

function ReportForm({ tenants, tenant, stale }: { tenants: TenantMembership[]; tenant: string; stale: string }) {
  const [chosenTenant, setChosenTenant] = useState(tenant);
  const [amount, setAmount] = useState(stale ? stale.slice(0, -1) : '90');
  const [unit, setUnit] = useState(stale ? stale.slice(-1) : 'd');
  const run = (event: FormEvent) => {
    event.preventDefault();
    navigate('/admin/access-review' + query({ tenant: chosenTenant, stale: `${Number(amount)}${unit}` }));
  };
  return (
    <form className="card filters" onSubmit={run} aria-label="Run an access review">
      <Field label="Tenant" hint={tenants.length > 1 ? 'Where you hold ViewAuditLogs and ViewUsers' : undefined}>
        {(id) => (
          <select id={id} value={chosenTenant} onChange={(e) => setChosenTenant(e.target.value)}>
            {tenants.map((membership) => (
              <option key={membership.tenantId}>{membership.tenantSlug}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Stale after" hint="No sign-in or token use for this long">
        {(id) => <input id={id} type="number" min={1} max={100000} required value={amount} onChange={(e) => setAmount(e.target.value)} />}
      </Field>
      <Field label="Unit">
        {(id) => (
          <select id={id} value={unit} onChange={(e) => setUnit(e.target.value)}>
            {UNITS.map((entry) => (
              <option key={entry.unit} value={entry.unit}>
                {entry.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={!chosenTenant}>
          Run report
        </button>
      </div>
    </form>
  );
}

function ReportView({ tenant, stale }: { tenant: string; stale: string }) {
  const report = useLoad(() => get<Report>('/api/v1/access-review' + query({ stale }), { tenant }), [tenant, stale]);
  const [decisions, setDecisions] = useState<Map<number, Decision>>(new Map());
  const [note, setNote] = useState('');
  if (report.error) return <ErrorMessage error={report.error} />;
  if (!report.data) return <Loading />;
  const { findings } = report.data;
  const kinds = [...new Set([...Object.keys(KIND_HEADINGS), ...findings.map((finding) => finding.kind)])].filter((kind) => findings.some((finding) => finding.kind === kind));
  const decide = (position: number, decision: Decision) => setDecisions((current) => new Map(current).set(position, decision));
  const chosen = findings.map((finding, position) => ({ finding, decision: decisions.get(position) ?? 'keep' }));
  const changes = chosen.filter((entry) => entry.decision !== 'keep');

  const record = async () => {
    const body = { stale, note: note.trim() || undefined, decisions: changes.map(({ finding, decision }) => ({ kind: finding.kind, subjectId: finding.subject.id, decision })) };
    const recorded = await post<RecordedReview>('/api/v1/access-reviews', body, { tenant });
    navigate(`/admin/access-reviews/${recorded.review.id}` + query({ tenant }));
  };

  return (
    <section aria-labelledby="report-heading">
      <h2 id="report-heading">
        Report for {report.data.tenant.slug}: {findings.length} finding{findings.length === 1 ? '' : 's'}
      </h2>
      <p className="muted">
        Taken {formatTime(report.data.generatedAt)}; stale means no activity since {formatTime(report.data.staleBefore)} ({staleInWords(report.data.stale)}).
      </p>
      {report.data.truncated && <p className="message info">The report hit its read limit: there may be more findings than listed. Record this review, then run it again.</p>}
      {findings.length === 0 ? (
        <p className="card">Nothing to review in {report.data.tenant.slug} for this window.</p>
      ) : (
        kinds.map((kind) => (
          <FindingGroup
            key={kind}
            heading={kindHeading(kind, report.data!.stale)}
            tenant={report.data!.tenant.slug}
            entries={chosen.flatMap((entry, position) => (entry.finding.kind === kind ? [{ ...entry, position }] : []))}
            onDecide={decide}
          />
        ))
      )}
      <div className="card">
        <Field label="Note" hint="Kept with the review, e.g. “Q4 quarterly review”">
          {(id) => <textarea id={id} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />}
        </Field>
        <div className="actions">
          <ConfirmButton label="Record review" className="primary" title={`Record the access review of ${tenant}?`} confirmLabel="Record review" onConfirm={record}>
            <p>
              {findings.length} finding{findings.length === 1 ? '' : 's'} are recorded;{' '}
              {changes.length === 0 ? 'every one is kept, nothing changes.' : `${findings.length - changes.length} kept, and these are carried out now:`}
            </p>
            {changes.length > 0 && (
              <ul aria-label="Decisions to carry out">
                {changes.map(({ finding, decision }) => (
                  <li key={`${finding.kind}-${finding.subject.id}`}>
                    {decisionLabel(decision, finding.subject.type, tenant)}: {finding.subject.email ?? finding.subject.name}
                  </li>
                ))}
              </ul>
            )}
            <p className="muted">Suspending a user signs them out everywhere. A decision your own permissions or the guards refuse is recorded as refused, with the reason.</p>
          </ConfirmButton>
        </div>
      </div>
    </section>
  );
}

function FindingGroup({
  heading,
  tenant,
  entries,
  onDecide,
}: {
  heading: string;
  tenant: string;
  entries: { finding: Finding; decision: Decision; position: number }[];
  onDecide: (position: number, decision: Decision) => void;
}) {
  const headingId = `group-${entries[0]!.finding.kind}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {heading} ({entries.length})
      </h3>
      <div className="table-wrap">
        <table aria-labelledby={headingId} className="stacked">
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Finding</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {entries.map(({ finding, decision, position }) => {
              const selectId = `decision-${position}`;
              const options = DECISIONS_FOR[finding.subject.type] ?? ['keep'];
              return (
                <tr key={position}>
                  <td data-label="Subject">
                    <SubjectCell subject={finding.subject} />
                  </td>
                  <td data-label="Finding">{finding.detail}</td>
                  <td data-label="Decision">
                    <label htmlFor={selectId} className="visually-hidden">
                      Decision on {finding.subject.email ?? finding.subject.name}
                    </label>
                    <select id={selectId} value={decision} onChange={(e) => onDecide(position, e.target.value as Decision)} disabled={options.length < 2}>
                      {options.map((option) => (
                        <option key={option} value={option}>
                          {decisionLabel(option, finding.subject.type, tenant)}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function SubjectCell({ subject }: { subject: Subject }) {
  if (subject.type === 'user') {
    return (
      <>
        <Link to={`/admin/users/${subject.id}`}>{subject.name || subject.email}</Link>
        {subject.email && subject.name !== subject.email && <div className="muted">{subject.email}</div>}
      </>
    );
  }
  if (subject.type === 'role') return <Link to={`/admin/roles/${subject.id}`}>{subject.name}</Link>;
  return (
    <>
      {subject.name}
      {subject.email && <div className="muted">{subject.email}</div>}
    </>
  );
}

function PastReviews({ tenant, exportable }: { tenant: string; exportable: boolean }) {
  const pages = usePages();
  const reviews = useLoad(() => get<Page<ReviewSummary>>('/api/v1/access-reviews' + query({ cursor: pages.cursor, limit: 20 }), { tenant }), [tenant, pages.cursor]);
  const exporting = useAction();
  return (
    <section className="card" aria-labelledby="past-reviews-heading">
      <header className="page-header">
        <h2 id="past-reviews-heading">Past reviews of {tenant}</h2>
        {exportable && <ExportAllButton tenant={tenant} action={exporting} />}
      </header>
      <ErrorMessage error={exporting.error ?? reviews.error} />
      {!reviews.data ? (
        reviews.loading ? <Loading /> : null
      ) : reviews.data.items.length === 0 ? (
        <p className="muted">No review recorded yet.</p>
      ) : (
        <div className="table-wrap">
          <table aria-labelledby="past-reviews-heading" className="stacked">
            <thead>
              <tr>
                <th scope="col">Reviewed</th>
                <th scope="col">Reviewer</th>
                <th scope="col">Stale after</th>
                <th scope="col">Findings</th>
                <th scope="col">Applied</th>
                <th scope="col">Refused</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {reviews.data.items.map((review) => (
                <tr key={review.id}>
                  <td data-label="Reviewed">
                    <Link to={`/admin/access-reviews/${review.id}` + query({ tenant })}>{formatTime(review.createdAt)}</Link>
                    {!review.completedAt && <div className="muted">not completed</div>}
                  </td>
                  <td data-label="Reviewer">{review.reviewerEmail}</td>
                  <td data-label="Stale after">{staleInWords(review.stale)}</td>
                  <td data-label="Findings">{review.findings}</td>
                  <td data-label="Applied">{review.applied}</td>
                  <td data-label="Refused">{review.refused}</td>
                  <td data-label="Note">{review.note ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(pages.pageNumber > 1 || reviews.data?.nextCursor) && <Pager pageNumber={pages.pageNumber} nextCursor={reviews.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />}
    </section>
  );
}

/** The server's export (ExportAuditLogs; itself audited): one row per finding of every review of the tenant. */
function ExportAllButton({ tenant, action }: { tenant: string; action: ReturnType<typeof useAction> }) {
  return (
    <button type="button" disabled={action.pending} onClick={() => void action.run(async () => void (await download('/api/v1/access-reviews/export', `access-reviews-${tenant}.csv`, { tenant })))}>
      Export all reviews (CSV)
    </button>
  );
}

const OUTCOME_BADGES: Record<DecisionRecord['outcome'], string> = { applied: 'badge-success', refused: 'badge-failure', pending: 'badge-waiting', kept: '' };

/** One past review: every finding with its decision and what came of it. */
export function AccessReviewRecordPage({ id }: { id: string }) {
  const { search } = useLocation();
  const { tenants, acting } = useReviewableTenants();
  const tenant = search.get('tenant') ?? acting ?? '';
  const exportable = tenants.find((membership) => membership.tenantSlug === tenant)?.permissions.includes('ExportAuditLogs') ?? false;
  const recorded = useLoad(() => get<RecordedReview>(`/api/v1/access-reviews/${encodeURIComponent(id)}`, { tenant }), [id, tenant]);
  const exporting = useAction();
  const back = '/admin/access-review' + query({ tenant: tenant === acting ? undefined : tenant });
  const data = recorded.data;
  const applied = data?.decisions.filter((entry) => entry.outcome === 'applied').length ?? 0;
  const refused = data?.decisions.filter((entry) => entry.outcome === 'refused').length ?? 0;
  return (
    <>
      <p className="breadcrumb">
        <Link to={back}>Access review</Link> / Record
      </p>
      <header className="page-header">
        <h1>Access review of {data?.review.tenant ?? tenant}</h1>
        {data && (
          <div className="actions">
            <button type="button" onClick={() => downloadReviewCsv(data)}>
              Download CSV
            </button>
            {exportable && <ExportAllButton tenant={tenant} action={exporting} />}
          </div>
        )}
      </header>
      <ErrorMessage error={recorded.error ?? exporting.error} />
      {!data ? (
        recorded.loading ? <Loading /> : null
      ) : (
        <>
          <dl className="card facts" aria-label="Review">
            <div>
              <dt>Reviewed</dt>
              <dd>{formatTime(data.review.createdAt)}</dd>
            </div>
            <div>
              <dt>Reviewer</dt>
              <dd>{data.review.reviewerEmail}</dd>
            </div>
            <div>
              <dt>Stale after</dt>
              <dd>
                {staleInWords(data.review.stale)} (no activity since {formatTime(data.review.staleBefore)})
              </dd>
            </div>
            <div>
              <dt>Outcome</dt>
              <dd>
                {data.decisions.length} finding{data.decisions.length === 1 ? '' : 's'}: {applied} applied, {refused} refused, {data.decisions.length - applied - refused} kept
                {data.review.completedAt ? `; completed ${formatTime(data.review.completedAt)}` : '; not completed (interrupted while its decisions were carried out)'}
              </dd>
            </div>
            {data.review.note && (
              <div>
                <dt>Note</dt>
                <dd>{data.review.note}</dd>
              </div>
            )}
          </dl>
          {data.review.truncated && <p className="message info">The report behind this review hit its read limit: it may not list every finding.</p>}
          {data.decisions.length === 0 ? (
            <p className="muted">The report had no findings.</p>
          ) : (
            <div className="table-wrap">
              <table aria-label="Decisions" className="stacked">
                <thead>
                  <tr>
                    <th scope="col">Finding</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Detail</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {data.decisions.map((entry) => (
                    <tr key={entry.position}>
                      <td data-label="Finding">{kindHeading(entry.findingKind, data.review.stale)}</td>
                      <td data-label="Subject">
                        <SubjectCell subject={entry.subject} />
                      </td>
                      <td data-label="Detail">{entry.detail}</td>
                      <td data-label="Decision">{decisionLabel(entry.decision, entry.subject.type, data.review.tenant)}</td>
                      <td data-label="Outcome">
                        <span className={`badge ${OUTCOME_BADGES[entry.outcome]}`}>{entry.outcome}</span>
                        {entry.error && (
                          <div>
                            <code>{entry.error.code}</code> {entry.error.message}
                          </div>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}

/** The server export's columns (REVIEW_EXPORT_COLUMNS in access-review-service.ts), for one review. */
const CSV_COLUMNS = ['review_id', 'tenant', 'reviewed_at', 'completed_at', 'reviewer', 'stale', 'finding', 'subject_type', 'subject_id', 'subject_email', 'subject_name', 'detail', 'decision', 'outcome', 'error_code', 'error_message'] as const;

/** A cell a spreadsheet would run as a formula starts with an apostrophe, as in the server's exports (src/domain/csv.ts). */
const csvCell = (value: string | null) => {
  const text = value ?? '';
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** One review as CSV, built in the browser from the record on screen, in the columns of the server's export of every review. */
function downloadReviewCsv({ review, decisions }: RecordedReview) {
  const rows = decisions.map((entry) => [
    review.id,
    review.tenant,
    review.createdAt,
    review.completedAt,
    review.reviewerEmail,
    review.stale,
    entry.findingKind,
    entry.subject.type,
    entry.subject.id,
    entry.subject.email,
    entry.subject.name,
    entry.detail,
    entry.decision,
    entry.outcome,
    entry.error?.code ?? null,
    entry.error?.message ?? null,
  ]);
  const text = [CSV_COLUMNS as readonly (string | null)[], ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
  const url = URL.createObjectURL(new Blob(['\uFEFF' + text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `access-review-${review.tenant.replace(/[^\w.-]/g, '_')}-${review.createdAt.slice(0, 10)}.csv`;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
