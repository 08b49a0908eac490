import { useState, type FormEvent } from 'react';
import { download, get, query } from '../api.ts';
import { AuditTable } from '../components/audit-table.tsx';
import { ErrorMessage, Field, Loading, Pager, useAction, useLoad, usePages } from '../components/ui.tsx';
import { navigate, useLocation } from '../router.tsx';
import { useMe, useSession } from '../session.tsx';
import { auditCategories, type AuditEvent, type Page, type UserListItem } from '../types.ts';

const PAGE_SIZE = 50;

/** datetime-local values are in the browser's zone; the API wants ISO 8601 with an offset. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** Admin → Audit: the tenant's trail, newest first, filtered by user, category and time. */
export function AuditPage() {
  const { search } = useLocation();
  const { can } = useSession();
  const me = useMe();
  const filters = { user: search.get('user') ?? '', category: search.get('category') ?? '', since: search.get('since') ?? '', until: search.get('until') ?? '' };
  // "All tenants I can see": the server reads the union of the tenants where the caller holds
  // ViewAuditLogs (every tenant for the installation's admins), never another.
  const allTenants = search.get('scope') === 'all';
  const scope = allTenants ? 'all' : undefined;
  const offersAllTenants = seesSeveralTenants(me);
  const [user, setUser] = useState(filters.user);
  const [category, setCategory] = useState(filters.category);
  const [since, setSince] = useState(filters.since);
  const [until, setUntil] = useState(filters.until);
  const [resolveError, setResolveError] = useState<unknown>();
  const pages = usePages();
  const exporting = useAction();
  const key = JSON.stringify(filters);
  const events = useLoad(
    () => get<Page<AuditEvent>>('/api/v1/audit' + query({ user: filters.user, category: filters.category, since: toIso(filters.since), until: toIso(filters.until), scope, cursor: pages.cursor, limit: PAGE_SIZE })),
    [key, scope, pages.cursor],
  );

  /** An email is looked up among the tenant's users; anything else is taken as a user id. */
  const resolveUser = async (value: string): Promise<string> => {
    if (!value.includes('@') || !can('ViewUsers')) return value;
    const found = await get<Page<UserListItem>>('/api/v1/users' + query({ search: value, limit: 20 }));
    const exact = found.items.find((item) => item.email.toLowerCase() === value.toLowerCase());
    if (!exact) throw new Error(`No user with email ${value} in this tenant.`);
    return exact.id;
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setResolveError(undefined);
    resolveUser(user.trim())
      .then((userId) => {
        setUser(userId);
        pages.reset();
        navigate('/admin/audit' + query({ user: userId, category, since, until, scope }));
      })
      .catch(setResolveError);
  };

  const clear = () => {
    setUser('');
    setCategory('');
    setSince('');
    setUntil('');
    pages.reset();
    navigate('/admin/audit' + query({ scope }));
  };

  /** Switches between this tenant's trail and every tenant's the caller can see, keeping the applied filters. */
  const toggleAllTenants = (on: boolean) => {
    pages.reset();
    navigate('/admin/audit' + query({ ...filters, scope: on ? 'all' : undefined }));
  };

  return (
    <>
      <header className="page-header">
        <h1>Audit log</h1>
        {can('ExportAuditLogs') && <AuditExport filters={{ user: filters.user, category: filters.category, since: toIso(filters.since), until: toIso(filters.until), scope }} action={exporting} />}
      </header>
      <ErrorMessage error={exporting.error} />
      {offersAllTenants && (
        <p className="scope-switch">
          <label>
            <input type="checkbox" checked={allTenants} onChange={(e) => toggleAllTenants(e.target.checked)} /> All tenants I can see
          </label>{' '}
          <span className="muted">{allTenants ? 'Events of every tenant where you may read the audit log, newest first.' : `Events of ${me.tenant?.slug ?? 'this tenant'} only.`}</span>
        </p>
      )}
      <form className="card filters" onSubmit={apply} aria-label="Audit filters">
        <Field label="User" hint="Email or user id">
          {(id) => <input id={id} value={user} onChange={(e) => setUser(e.target.value)} />}
        </Field>
        <Field label="Category">
          {(id) => (
            <select id={id} value={category} onChange={(e) => setCategory(e.target.value)}>
              <option value="">All categories</option>
              {auditCategories.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Since">{(id) => <input id={id} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />}</Field>
        <Field label="Until">{(id) => <input id={id} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />}</Field>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      <ErrorMessage error={resolveError ?? events.error} />
      {!events.data ? (
        events.loading ? <Loading /> : null
      ) : events.data.items.length === 0 ? (
        <p className="muted">No events match these filters.</p>
      ) : (
        <AuditTable events={events.data.items} label="Audit events" actingTenantId={me.tenant?.id} showTenant />
      )}
      <Pager pageNumber={pages.pageNumber} nextCursor={events.data?.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
    </>
  );
}

/**
 * Export: every event matching the applied filters (those in the address, not the ones still
 * being edited), oldest first, as CSV or JSON through `GET /api/v1/audit/export`; the CSV
 * with a UTF-8 byte-order mark, so Excel reads it as UTF-8.
 */
function AuditExport({ filters, action }: { filters: Record<string, string | undefined>; action: ReturnType<typeof useAction> }) {
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const save = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await download('/api/v1/audit/export' + query({ ...filters, format, bom: format === 'csv' ? 'true' : undefined }), `audit${filters.category ? `-${filters.category}` : ''}.${format}`);
    });
  };
  return (
    <form className="inline" onSubmit={save} aria-label="Export audit log" title="Every event matching the applied filters, oldest first">
      <label htmlFor="audit-export-format" className="visually-hidden">
        Export format
      </label>
      <select id="audit-export-format" value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'json')}>
        <option value="csv">CSV</option>
        <option value="json">JSON</option>
      </select>
      <button type="submit" disabled={action.pending}>
        Export
      </button>
    </form>
  );
}

/** Whether "All tenants I can see" shows more than the acting tenant: ViewAuditLogs in another tenant too, or ManageTenants in default (every tenant). */
function seesSeveralTenants(me: ReturnType<typeof useMe>): boolean {
  const viewing = me.tenants.filter((entry) => entry.permissions.includes('ViewAuditLogs'));
  const installation = me.tenants.find((entry) => entry.tenantSlug === 'default');
  return viewing.length > 1 || Boolean(installation?.permissions.includes('ManageTenants') && installation.permissions.includes('ViewAuditLogs'));
}
