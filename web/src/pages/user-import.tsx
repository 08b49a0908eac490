import { useState, type ChangeEvent } from 'react';
import { get, post, query } from '../api.ts';
import { CopyButton, ErrorMessage, Field, formatTime, Notice, StatusBadge, useAction } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useMe } from '../session.tsx';
import type { ImportJob, ImportReport, ImportRow } from '../types.ts';

/** How often the page asks how far the import job has got. */
const POLL_MS = 300;

/** What a CSV file can be written in: UTF-8, or what Excel's plain "CSV (Comma delimited)" saves (the server refuses such a file as UTF-8, `CSV_NOT_UTF8`). */
const ENCODINGS = [
  { value: 'utf-8', label: 'UTF-8 (Excel: CSV UTF-8)' },
  { value: 'windows-1252', label: 'Windows-1252 (Excel: CSV (Comma delimited))' },
] as const;
type Encoding = (typeof ENCODINGS)[number]['value'];

/**
 * Admin → Users → Import CSV: the seed's bulk import, run on the server as a job of any size
 * (POST /users/imports): a progress bar while it runs (rows done of the total, rate, time left),
 * then the report. "Check file" is a dry run that reports every row and writes nothing;
 * "Import" creates the valid rows (or, all-or-nothing, nobody unless every row is valid).
 * One-time passwords of the created users are shown this once.
 */
export function ImportUsersPage() {
  const me = useMe();
  const [file, setFile] = useState<File>();
  // A new <input type="file"> after "Import another file", so the old choice is gone.
  const [inputKey, setInputKey] = useState(0);
  const [allOrNothing, setAllOrNothing] = useState(false);
  const [encoding, setEncoding] = useState<Encoding>('utf-8');
  const [report, setReport] = useState<ImportReport>();
  const [progress, setProgress] = useState<Progress>();
  const action = useAction();

  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    setFile(event.target.files?.[0]);
    setReport(undefined);
    action.clear();
  };

  const send = (dryRun: boolean) =>
    action.run(async () => {
      setReport(undefined);
      if (!file) throw new Error('Choose a CSV file first.');
      try {
        setReport(await runImportJob(file, { dryRun, allOrNothing, encoding }, setProgress));
      } finally {
        setProgress(undefined);
      }
    });

  const startOver = () => {
    setFile(undefined);
    setReport(undefined);
    setInputKey((key) => key + 1);
  };

  // Once users were created the form goes away: sending the same file again would only reject
  // every row as taken, and replace the report holding the one-time passwords.
  if (report?.applied) {
    return (
      <>
        <p className="breadcrumb">
          <Link to="/admin/users">Users</Link> / Import CSV
        </p>
        <header className="page-header">
          <h1>Users imported</h1>
        </header>
        <Notice>
          {file?.name ? <>From {file.name}: </> : null}
          {summary(report)}
        </Notice>
        <ImportResult report={report} />
        <div className="actions">
          <Link to="/admin/users" className="button primary">
            Back to users
          </Link>
          <button type="button" onClick={startOver}>
            Import another file
          </button>
        </div>
      </>
    );
  }

  return (
    <>
      <p className="breadcrumb">
        <Link to="/admin/users">Users</Link> / Import CSV
      </p>
      <header className="page-header">
        <h1>Import users</h1>
      </header>
      <form className="card form" aria-label="Import users" onSubmit={(event) => event.preventDefault()}>
        <Field
          label="CSV file"
          hint={
            <>
              Columns <code>email</code>, <code>displayName</code> (both required), <code>role</code> (blank: Viewer), <code>tenant</code> (blank: {me.tenant?.slug ?? 'this tenant'}
              ), <code>password</code> (blank: an invitation, or a one-time password when mail isn't configured; given: with mail, the user gets a notice without it). Separated by commas, or by semicolons as Excel writes them where the comma is the decimal separator. A file
              from <strong>Export CSV</strong> imports as it is. Any number of rows: the server imports the file as a job and goes on where it stopped if it restarts.
            </>
          }
        >
          {(id) => <input key={inputKey} id={id} type="file" accept=".csv,text/csv" onChange={choose} disabled={action.pending} />}
        </Field>
        <Field label="Encoding" hint={<>How the file was saved: Excel&apos;s &ldquo;CSV UTF-8&rdquo; is UTF-8, its plain &ldquo;CSV (Comma delimited)&rdquo; is Windows-1252.</>}>
          {(id) => (
            <select
              id={id}
              value={encoding}
              onChange={(e) => {
                setEncoding(e.target.value as Encoding);
                setReport(undefined);
                action.clear();
              }}
              disabled={action.pending}
            >
              {ENCODINGS.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={allOrNothing} onChange={(e) => setAllOrNothing(e.target.checked)} /> All or nothing: import nobody unless every row is valid
        </label>
        <ErrorMessage error={action.error} />
        <div className="actions">
          <button type="button" onClick={() => void send(true)} disabled={!file || action.pending}>
            Check file
          </button>
          <button type="button" className="primary" onClick={() => void send(false)} disabled={!file || action.pending}>
            Import
          </button>
          <Link to="/admin/users" className="button">
            Cancel
          </Link>
          {action.pending && !progress && <span className="muted">Sending the file…</span>}
        </div>
        {progress && <ImportProgress progress={progress} />}
      </form>
      {report && (
        <section className="card" aria-labelledby="import-report-heading">
          <h2 id="import-report-heading">{report.dryRun ? 'Check result' : 'Nothing was imported'}</h2>
          <p className={`message ${report.counts.rejected ? 'info' : 'success'}`} role="status">
            {summary(report)}
          </p>
          <ImportResult report={report} />
        </section>
      )}
    </>
  );
}

interface Progress {
  job: ImportJob;
  /** When the page started following the job, and how many rows were done then: the rate is this page's own measure. */
  startedAt: number;
  doneAtStart: number;
}

/** Sends the file to a new import job, follows it to its end and reads its rows, a page at a time, into the report. */
async function runImportJob(file: File, options: { dryRun: boolean; allOrNothing: boolean; encoding: string }, onProgress: (progress: Progress) => void): Promise<ImportReport> {
  const path = '/api/v1/users/imports' + query({ dryRun: options.dryRun ? 'true' : undefined, allOrNothing: options.allOrNothing ? 'true' : undefined });
  let job = await post<ImportJob>(path, undefined, { raw: { body: file, contentType: `text/csv; charset=${options.encoding}` } });
  const startedAt = Date.now();
  const doneAtStart = job.counts.done;
  onProgress({ job, startedAt, doneAtStart });
  while (job.status !== 'done' && job.status !== 'failed') {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await get<ImportJob>(`/api/v1/users/imports/${encodeURIComponent(job.id)}`);
    onProgress({ job, startedAt, doneAtStart });
  }
  if (job.status === 'failed') throw new Error(job.error?.message ?? 'The import stopped on the server.');
  const rows: ImportRow[] = [];
  for (let afterLine: number | undefined; ; ) {
    const page = await get<ImportJob & { rows: ImportRow[]; nextAfterLine: number | null }>(`/api/v1/users/imports/${encodeURIComponent(job.id)}/rows` + query({ afterLine, limit: 1000 }));
    rows.push(...page.rows);
    if (page.nextAfterLine === null) break;
    afterLine = page.nextAfterLine;
  }
  return { dryRun: job.dryRun, allOrNothing: job.allOrNothing, applied: job.applied, counts: { rows: job.counts.total, created: job.counts.created, valid: job.counts.valid, rejected: job.counts.failed }, rows };
}

/** Rows done of the total, the rate and the time left, while the job runs. */
function ImportProgress({ progress }: { progress: Progress }) {
  const { job, startedAt, doneAtStart } = progress;
  const seconds = (Date.now() - startedAt) / 1000;
  const rate = seconds > 0.5 ? (job.counts.done - doneAtStart) / seconds : 0;
  const left = rate > 0 ? Math.ceil((job.counts.total - job.counts.done) / rate) : undefined;
  const stage = job.status === 'queued' ? 'Waiting for the server to start it' : job.allOrNothing && job.phase === 'validate' ? (job.dryRun ? 'Checking rows' : 'Checking every row first') : job.dryRun ? 'Checking rows' : 'Importing';
  return (
    <div className="import-progress">
      <progress aria-label="Import progress" value={job.counts.done} max={Math.max(job.counts.total, 1)} />
      <p className="muted">
        {stage}: {job.counts.done.toLocaleString('en')} of {plural(job.counts.total, 'row')}
        {rate > 0 ? <>, {Math.round(rate).toLocaleString('en')} rows/s</> : null}
        {left !== undefined ? <>, about {left < 60 ? `${left} s` : `${Math.ceil(left / 60)} min`} left</> : null}
        {job.resumed > 0 ? <> (the server restarted meanwhile; the job went on where it stopped)</> : null}
      </p>
    </div>
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One sentence on what the file did (or would do). */
function summary(report: ImportReport): string {
  const { rows, created, valid, rejected } = report.counts;
  if (report.dryRun) {
    const verdict = rejected === 0 ? 'every row can be imported.' : report.allOrNothing ? 'with all or nothing, importing it would create nobody.' : `importing it would create ${plural(valid, 'user')}.`;
    return `Checked ${plural(rows, 'row')}: ${valid} valid, ${rejected} rejected; ${verdict} Nothing was written.`;
  }
  if (report.applied) return `${plural(created, 'user')} created, ${rejected} ${rejected === 1 ? 'row' : 'rows'} rejected, of ${plural(rows, 'row')}.`;
  if (report.allOrNothing && rejected > 0) return `${rejected} of ${plural(rows, 'row')} rejected, so with all or nothing nobody was created. Fix the rejected rows and import the file again.`;
  return `Every row was rejected (${plural(rows, 'row')}); nobody was created.`;
}

/** The report row by row; created rows carry their one-time password or invitation mark. */
function ImportResult({ report }: { report: ImportReport }) {
  const oneTime = report.rows.filter((row): row is CreatedRow => row.status === 'created' && Boolean(row.oneTimePassword));
  const expiry = report.rows.find((row) => row.status === 'created' && row.passwordExpiresAt);
  return (
    <>
      {oneTime.length > 0 && (
        <section className="secret" aria-label="One-time passwords">
          <h3>One-time passwords</h3>
          <p className="muted">
            Mail isn't configured, so {oneTime.length === 1 ? 'this user has' : `these ${oneTime.length} users have`} a generated one-time password, shown below{' '}
            <strong>only this once</strong>: copy each to its user now, or download them as a CSV file; leaving this page discards them. They must choose their own password at first
            sign-in
            {expiry?.status === 'created' && expiry.passwordExpiresAt ? <>, before {formatTime(expiry.passwordExpiresAt)}</> : null}.
          </p>
          <div className="actions">
            <button type="button" onClick={() => downloadCredentials(oneTime)}>
              Download one-time passwords (CSV)
            </button>
            <span className="muted">Made in your browser from this page; nothing is sent. Keep the file safe and delete it once handed over.</span>
          </div>
        </section>
      )}
      <div className="table-wrap">
        <table aria-label={report.dryRun ? 'Import check' : 'Import result'} className="import-report">
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Email</th>
              <th scope="col">Status</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row) => (
              <tr key={row.line}>
                <td>{row.line}</td>
                <td className="email">{row.email}</td>
                <td>
                  <StatusBadge status={row.status} />
                </td>
                <td>
                  <RowDetails row={row} report={report} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

type CreatedRow = Extract<ImportRow, { status: 'created' }>;

/** A CSV field, always quoted (a password may hold a comma or a quote). */
const csvField = (value: string) => `"${value.replace(/"/g, '""')}"`;

/**
 * The one-time credentials as a CSV file (email, one-time password, expires at), built here
 * from the rows already shown and handed to the browser as a download: never sent anywhere.
 */
function downloadCredentials(rows: CreatedRow[]): void {
  const lines = [['email', 'one-time password', 'expires at'], ...rows.map((row) => [row.email, row.oneTimePassword ?? '', row.passwordExpiresAt ?? ''])];
  const blob = new Blob([lines.map((line) => line.map(csvField).join(',')).join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `one-time-passwords-${new Date().toISOString().slice(0, 10)}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function RowDetails({ row, report }: { row: ImportRow; report: ImportReport }) {
  const me = useMe();
  switch (row.status) {
    case 'rejected':
      return (
        <>
          {row.error.message} <small className="muted">({row.error.code})</small>
        </>
      );
    case 'valid':
      return <span className="muted">{report.dryRun ? 'Ready to import' : 'Not created: another row was rejected'}</span>;
    case 'created':
      return (
        <div className="inline">
          <span>
            {row.user.homeTenant === me.tenant?.slug ? <Link to={`/admin/users/${encodeURIComponent(row.user.id)}`}>{row.user.displayName || row.email}</Link> : row.user.displayName || row.email}
            {row.user.homeTenant ? <span className="muted"> in {row.user.homeTenant}</span> : null}
            {row.user.role ? <span className="muted"> as {row.user.role}</span> : null}
          </span>
          {row.oneTimePassword ? (
            <span className="one-time">
              <code aria-label={`One-time password for ${row.email}`}>{row.oneTimePassword}</code>
              <CopyButton value={row.oneTimePassword} label={`Copy one-time password for ${row.email}`} />
            </span>
          ) : row.invitation ? (
            <span className="badge badge-queued" title={`Queued, not delivered yet (the user page shows when it goes out); the link expires ${formatTime(row.invitation.expiresAt)}`}>
              invitation queued
            </span>
          ) : (
            <span className="muted">password from the file{row.notice ? ' (a notice without it is queued)' : ''}</span>
          )}
        </div>
      );
  }
}
