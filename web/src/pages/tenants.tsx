import { useId, useState, type FormEvent } from 'react';
import { messageOf } from '../../../src/domain/error-catalogue.ts';
import { del, get, patch, post, put } from '../api.ts';
import { AssignmentEnd, type AssignmentTerm } from '../components/assignment-term.tsx';
import { ConfirmButton, ErrorMessage, Field, formatTime, Loading, Notice, Pager, StatusBadge, useAction, useLoad, usePages } from '../components/ui.tsx';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { Tenant, TenantListItem, TenantMember, TenantMemberRole, TenantMembers } from '../types.ts';

const tenantPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}`;

/** Admin → Tenants: every tenant with its counts, and a new one (ManageTenants). */
export function TenantsPage() {
  const tenants = useLoad(() => get<{ items: TenantListItem[] }>('/api/v1/tenants'), []);
  return (
    <>
      <header className="page-header">
        <h1>Tenants</h1>
      </header>
      <NewTenantForm />
      <section className="card" aria-labelledby="tenants-heading">
        <h2 id="tenants-heading">All tenants</h2>
        <ErrorMessage error={tenants.error} />
        {tenants.data ? (
          <div className="table-wrap">
            <table aria-labelledby="tenants-heading">
              <thead>
                <tr>
                  <th scope="col">Slug</th>
                  <th scope="col">Name</th>
                  <th scope="col">Members</th>
                  <th scope="col">Users at home</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.items.map((tenant) => (
                  <tr key={tenant.id}>
                    <td>
                      <Link to={`/admin/tenants/${encodeURIComponent(tenant.slug)}`}>{tenant.slug}</Link>
                    </td>
                    <td>{tenant.name}</td>
                    <td>{tenant.memberCount ?? '—'}</td>
                    <td>{tenant.homeUserCount ?? '—'}</td>
                    <td className="nowrap">{formatTime(tenant.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          !tenants.error && <Loading />
        )}
      </section>
    </>
  );
}

function NewTenantForm() {
  const { refresh } = useSession();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const action = useAction();
  const create = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const tenant = await post<Tenant>('/api/v1/tenants', { slug: slug.trim(), name: name.trim() || slug.trim() });
      // The creator is Admin there now: the tenant switcher offers it.
      await refresh();
      navigate(`/admin/tenants/${encodeURIComponent(tenant.slug)}`);
    });
  };
  return (
    <section className="card" aria-labelledby="new-tenant-heading">
      <h2 id="new-tenant-heading">New tenant</h2>
      <p className="muted">You become its Admin; add members from their user page or below, once it exists.</p>
      <form className="form" onSubmit={create} aria-labelledby="new-tenant-heading">
        <Field label="Slug" hint="Lowercase letters, digits and hyphens, e.g. acme-eu. It can't be changed later.">
          {(id) => <input id={id} required maxLength={63} autoComplete="off" spellCheck={false} value={slug} onChange={(e) => setSlug(e.target.value)} />}
        </Field>
        <Field label="Name" hint="Shown to people; blank: the slug.">
          {(id) => <input id={id} maxLength={200} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <ErrorMessage error={action.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={action.pending}>
            Create tenant
          </button>
        </div>
      </form>
    </section>
  );
}

/** Admin → Tenants → <tenant>: rename, its settings, its members and their roles, delete. */
export function TenantPage({ slug }: { slug: string }) {
  // The list carries the counts the delete section needs; one tenant's own answer doesn't.
  const tenants = useLoad(() => get<{ items: TenantListItem[] }>('/api/v1/tenants'), [slug]);
  const tenant = tenants.data?.items.find((candidate) => candidate.slug === slug);

  let body;
  if (tenants.error) body = <ErrorMessage error={tenants.error} />;
  else if (!tenants.data) body = <Loading />;
  else if (!tenant) body = <p className="message error">No tenant "{slug}" exists, or you can't see it.</p>;
  else
    body = (
      <>
        <header className="page-header">
          <div>
            <h1>{tenant.name}</h1>
            <p className="muted">
              {tenant.slug} · created {formatTime(tenant.createdAt)}
            </p>
          </div>
        </header>
        <div className="grid">
          <RenameTenant tenant={tenant} onChange={tenants.reload} />
          <section className="card" aria-labelledby="tenant-settings-heading">
            <h2 id="tenant-settings-heading">Sign-in settings</h2>
            <p className="muted">Require 2FA, and how long sessions last for the users whose home it is.</p>
            <Link to={`/admin/settings/authentication?tenant=${encodeURIComponent(tenant.slug)}`}>Authentication settings of {tenant.slug}</Link>
          </section>
        </div>
        <Members slug={tenant.slug} onChange={tenants.reload} />
        <DeleteTenant tenant={tenant} />
      </>
    );

  return (
    <>
      <p className="breadcrumb">
        <Link to="/admin/tenants">Tenants</Link> / {slug}
      </p>
      {body}
    </>
  );
}

function RenameTenant({ tenant, onChange }: { tenant: Tenant; onChange: () => void }) {
  const [name, setName] = useState(tenant.name);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const save = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void action.run(async () => {
      await patch<Tenant>(tenantPath(tenant.slug), { name: name.trim() });
      setSaved(true);
      onChange();
    });
  };
  return (
    <section className="card" aria-labelledby="rename-heading">
      <h2 id="rename-heading">Name</h2>
      <form onSubmit={save} aria-labelledby="rename-heading">
        <Field label="Tenant name" hint="The slug stays as it is.">
          {(id) => <input id={id} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <ErrorMessage error={action.error} />
        {saved && <Notice>Renamed.</Notice>}
        <div className="actions">
          <button type="submit" disabled={action.pending || name.trim() === tenant.name}>
            Rename
          </button>
        </div>
      </form>
    </section>
  );
}

/** The tenant's members, a page at a time, each with their role there (changeable with AssignRoles). */
function Members({ slug, onChange }: { slug: string; onChange: () => void }) {
  const { can, refresh } = useSession();
  const pages = usePages();
  const members = useLoad(() => get<TenantMembers>(`${tenantPath(slug)}/members?limit=50${pages.cursor ? '&cursor=' + encodeURIComponent(pages.cursor) : ''}`), [slug, pages.cursor]);
  const [notice, setNotice] = useState<string>();
  const changed = (text: string) => {
    setNotice(text);
    members.reload();
    onChange();
    // The change may be the caller's own role there: the tenant switcher and permissions follow.
    void refresh();
  };
  return (
    <section className="card" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <p className="muted">Everyone holding a role in {slug}, wherever their account lives.</p>
      {notice && <Notice>{notice}</Notice>}
      <ErrorMessage error={members.error} />
      {members.data ? (
        members.data.items.length === 0 ? (
          <p className="muted">Nobody holds a role here.</p>
        ) : (
          <div className="table-wrap">
            <table aria-labelledby="members-heading" className="members">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Home tenant</th>
                  <th scope="col">Status</th>
                  <th scope="col">Role</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {members.data.items.map((member) => (
                  <tr key={member.userId}>
                    <td>
                      <span className="person">
                        <span className="user-name">{member.displayName || member.email}</span>
                        {member.displayName && <small className="muted">{member.email}</small>}
                      </span>
                    </td>
                    <td>{member.homeTenant}</td>
                    <td>
                      <StatusBadge status={member.status} />
                    </td>
                    <td>
                      {can('AssignRoles') ? <RoleChoice slug={slug} member={member} roles={members.data!.roles} onChanged={changed} /> : member.role.name}
                      <AssignmentEnd term={member as TenantMember & AssignmentTerm} />
                    </td>
                    <td className="nowrap">{formatTime(member.assignedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : (
        !members.error && <Loading />
      )}
      {members.data && (pages.pageNumber > 1 || members.data.nextCursor) && (
        <Pager pageNumber={pages.pageNumber} nextCursor={members.data.nextCursor} onNext={pages.next} onPrevious={pages.previous} />
      )}
    </section>
  );
}

function RoleChoice({ slug, member, roles, onChanged }: { slug: string; member: TenantMember; roles: TenantMembers['roles']; onChanged: (notice: string) => void }) {
  const [role, setRole] = useState(member.role.name);
  const action = useAction();
  const id = useId();
  const who = member.email;
  const save = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const result = await put<TenantMemberRole>(`${tenantPath(slug)}/members/${encodeURIComponent(member.userId)}`, { role });
      onChanged(`${who} is now ${result.role} in ${slug}.`);
    });
  };
  return (
    <form className="inline role-choice" onSubmit={save}>
      <label htmlFor={id} className="visually-hidden">
        Role of {who}
      </label>
      <select id={id} value={role} onChange={(e) => setRole(e.target.value)}>
        {roles.map((candidate) => (
          <option key={candidate.id} value={candidate.name}>
            {candidate.name}
          </option>
        ))}
      </select>
      <button type="submit" className="small" disabled={action.pending || role === member.role.name} aria-label={`Set role of ${who}`}>
        Set role
      </button>
      <ErrorMessage error={action.error} />
    </form>
  );
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * Deleting is for an empty tenant, as the API decides (TENANT_NOT_EMPTY, TENANT_IS_DEFAULT):
 * the button says why it is greyed, and the dialog says what goes with the tenant.
 */
function DeleteTenant({ tenant }: { tenant: TenantListItem }) {
  const { refresh } = useSession();
  const reasonId = useId();
  const homeUsers = tenant.homeUserCount ?? 0;
  const resources = tenant.resourceCount ?? 0;
  const members = tenant.memberCount ?? 0;
  let refusal: string | undefined;
  if (tenant.slug === 'default') refusal = messageOf('TENANT_IS_DEFAULT', {});
  else if (homeUsers > 0 || resources > 0) {
    const holding = [homeUsers > 0 && plural(homeUsers, 'user has it as home tenant', 'users have it as home tenant'), resources > 0 && plural(resources, 'resource belongs to it', 'resources belong to it')]
      .filter(Boolean)
      .join(' and ');
    refusal = `It can't be deleted while ${holding}: move those users to another tenant (their user page, Move) or delete them, and delete or move its agents, workflows, memory and documents first.`;
  }
  const remove = async () => {
    await del(tenantPath(tenant.slug));
    await refresh();
    navigate('/admin/tenants');
  };
  return (
    <section className="card danger-zone" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete tenant</h2>
      <p>
        Deleting {tenant.slug} removes it and its custom roles. Only an empty tenant can go: nobody has it as home tenant and it owns no resources, so no account or data is
        deleted with it. Members whose accounts live in other tenants keep their accounts and lose only their role here. The deletion is recorded in the default tenant's audit trail. This can't be undone.
      </p>
      <ul className="counts" aria-label={`What ${tenant.slug} holds`}>
        <li>{plural(members, 'member', 'members')}</li>
        <li>{plural(homeUsers, 'user at home', 'users at home')}</li>
        <li>{plural(resources, 'resource', 'resources')}</li>
      </ul>
      {refusal && (
        <p id={reasonId} className="message info">
          {refusal}
        </p>
      )}
      <ConfirmButton
        label="Delete tenant"
        title={`Delete ${tenant.slug}?`}
        confirmLabel="Delete tenant"
        danger
        disabled={refusal !== undefined}
        describedBy={refusal ? reasonId : undefined}
        onConfirm={remove}
      >
        <p>
          {tenant.slug} ({tenant.name}) and its custom roles go for good; {plural(members, 'member loses', 'members lose')} their role here.
        </p>
      </ConfirmButton>
    </section>
  );
}
