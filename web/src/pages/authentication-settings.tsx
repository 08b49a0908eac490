import { useState, type FormEvent } from 'react';
import { get, put } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, formatTime, Loading, Notice, useAction, useLoad } from '../components/ui.tsx';
import { Link, useLocation } from '../router.tsx';
import { useMe, useSession } from '../session.tsx';
import type { AuthenticationPolicy, PolicySource, TenantListItem } from '../types.ts';

const sources: Record<PolicySource, string> = {
  default: 'default',
  appsettings: 'appsettings.json',
  'tenant appsettings': "the tenant's section of appsettings.json",
  'admin API': 'installation-wide setting',
  'tenant admin API': "this tenant's setting",
};

/** Admin → Settings → Authentication: Require 2FA installation-wide and per tenant, and each tenant's session lifetimes. */
export function AuthenticationSettingsPage() {
  const { can } = useSession();
  // What a tenant inherits changes with the installation-wide switch: the tenant section reloads after each save of it.
  const [installationSaves, setInstallationSaves] = useState(0);
  return (
    <>
      <header className="page-header">
        <h1>Authentication settings</h1>
      </header>
      {can('ManageSettings') && <InstallationSettings onSaved={() => setInstallationSaves((count) => count + 1)} />}
      {can('ManageTenants') && <TenantSettings generation={installationSaves} />}
    </>
  );
}

function InstallationSettings({ onSaved }: { onSaved: () => void }) {
  const policy = useLoad(() => get<AuthenticationPolicy>('/api/v1/settings/authentication'), []);
  return (
    <section className="card" aria-labelledby="installation-heading">
      <h2 id="installation-heading">Every tenant</h2>
      <ErrorMessage error={policy.error} />
      {policy.data ? <InstallationForm initial={policy.data} onSaved={onSaved} /> : !policy.error && <Loading />}
    </section>
  );
}

function InstallationForm({ initial, onSaved }: { initial: AuthenticationPolicy; onSaved: () => void }) {
  const { can, refresh } = useSession();
  const [policy, setPolicy] = useState(initial);
  const [required, setRequired] = useState(initial.overrides.requireTwoFactor ?? false);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const { effective } = policy;

  const store = async () => {
    const next = await put<AuthenticationPolicy>('/api/v1/settings/authentication', { requireTwoFactor: required });
    setPolicy(next);
    setRequired(next.overrides.requireTwoFactor ?? false);
    setSaved(true);
    onSaved();
    // The caller may now be one of those who must enrol: /me says so, and the enrolment screen takes over.
    await refresh();
  };
  // Turning the requirement on (where appsettings.json doesn't already) asks first: it holds every user without 2FA at their next request.
  const turningOn = required && !(policy.overrides.requireTwoFactor ?? false) && effective.sources.requireTwoFactor !== 'appsettings';
  const save = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    // Enter in the form while turning it on goes through the dialog's button, not around it.
    if (turningOn) return;
    void action.run(store);
  };

  return (
    <form onSubmit={save} aria-label="Installation-wide authentication">
      <label className="checkbox">
        <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} /> Require 2FA for every user
      </label>
      <p className="muted">
        Everyone without two-factor authentication, you included, must set it up before doing anything else. A tenant can add the requirement for its own users but can't lift this one.
      </p>
      {effective.sources.requireTwoFactor === 'appsettings' && (
        <p className="message info">appsettings.json sets Sophon:Auth:RequireTwoFactor, so every user needs 2FA whatever this switch says.</p>
      )}
      <p>
        Sessions end after <strong>{effective.idleTimeout}</strong> without a request, and <strong>{effective.absoluteTimeout}</strong> after sign-in at the latest
        <span className="muted"> (Sophon:Auth:IdleTimeout and AbsoluteTimeout in appsettings.json){can('ManageTenants') ? '; each tenant can set its own below' : ''}.</span>
      </p>
      <ErrorMessage error={action.error} />
      {saved && <Notice>Saved: it applies from the next request.</Notice>}
      <div className="actions">
        {turningOn ? (
          <ConfirmButton label="Save installation setting" className="primary" title="Require 2FA for every user?" confirmLabel="Require 2FA" onConfirm={async () => (setSaved(false), await store())}>
            <p>
              Every user without two-factor authentication must enrol at their next request, before doing anything else: in the dashboard, in the CLI, and through their API
              tokens, which are refused (TWO_FACTOR_ENROLLMENT_REQUIRED) until they have. Nobody is signed out and no token is revoked.
            </p>
            <p className="muted">
              You too, if you have no 2FA yet. Sessions opened through single sign-on, and accounts without a local password, answer to their identity provider&apos;s MFA instead. Tenants can&apos;t lift it.
            </p>
            {can('ViewUsers') && (
              <p>
                <Link to="/admin/users?status=active&twoFactor=not_enrolled">See this tenant&apos;s active users without 2FA</Link>
              </p>
            )}
          </ConfirmButton>
        ) : (
          <button type="submit" className="primary" disabled={action.pending}>
            Save installation setting
          </button>
        )}
        {policy.updatedAt && <span className="muted">Last changed {formatTime(policy.updatedAt)}</span>}
      </div>
    </form>
  );
}

function TenantSettings({ generation }: { generation: number }) {
  const me = useMe();
  const { search } = useLocation();
  const tenants = useLoad(() => get<{ items: TenantListItem[] }>('/api/v1/tenants'), []);
  // ?tenant=<slug> (the link of Admin → Tenants → <tenant>) picks that tenant; else the acting one.
  const [picked, setPicked] = useState(search.get('tenant') ?? me.tenant?.slug);
  const slug = picked ?? tenants.data?.items[0]?.slug;
  const policy = useLoad(
    async () => (slug ? { slug, generation, view: await get<AuthenticationPolicy>(`/api/v1/tenants/${encodeURIComponent(slug)}/settings/authentication`) } : undefined),
    [slug, generation],
  );
  // Until the newly picked tenant's settings (or those after an installation-wide change) arrive, the previous ones are still loaded.
  const loaded = policy.data;
  const current = loaded && loaded.slug === slug && loaded.generation === generation ? loaded.view : undefined;

  return (
    <section className="card" aria-labelledby="tenant-heading">
      <h2 id="tenant-heading">Per tenant</h2>
      <p className="muted">
        A tenant can require 2FA of its users and set how long their sessions last; what it leaves unset, it inherits. The timeouts apply to users whose home tenant it is; Require 2FA
        also to anyone acting in it.
      </p>
      <div className="inline tenant-picker">
        <Field label="Tenant to configure">
          {(id) => (
            <select id={id} value={slug ?? ''} onChange={(e) => setPicked(e.target.value)} disabled={!tenants.data}>
              {!tenants.data && slug && <option value={slug}>{slug}</option>}
              {tenants.data?.items.map((tenant) => (
                <option key={tenant.id} value={tenant.slug}>
                  {tenant.slug === tenant.name ? tenant.slug : `${tenant.slug} (${tenant.name})`}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorMessage error={tenants.error ?? policy.error} />
      {current ? <TenantForm key={`${slug}/${generation}`} initial={current} /> : !policy.error && slug && <Loading />}
    </section>
  );
}

type Requirement = 'inherit' | 'required' | 'not-required';

const requirementOf = (value: boolean | null): Requirement => (value === null ? 'inherit' : value ? 'required' : 'not-required');

function TenantForm({ initial }: { initial: AuthenticationPolicy }) {
  const { refresh } = useSession();
  const [policy, setPolicy] = useState(initial);
  const [requirement, setRequirement] = useState(requirementOf(initial.overrides.requireTwoFactor));
  const [idle, setIdle] = useState(initial.overrides.idleTimeout ?? '');
  const [absolute, setAbsolute] = useState(initial.overrides.absoluteTimeout ?? '');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const slug = policy.scope === 'global' ? '' : policy.scope.slug;
  const { effective } = policy;
  const requiredEverywhere = effective.sources.requireTwoFactor === 'appsettings' || effective.sources.requireTwoFactor === 'admin API';

  const save = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void action.run(async () => {
      // null removes the tenant's own value, so it inherits again.
      const next = await put<AuthenticationPolicy>(`/api/v1/tenants/${encodeURIComponent(slug)}/settings/authentication`, {
        requireTwoFactor: requirement === 'inherit' ? null : requirement === 'required',
        idleTimeout: idle.trim() || null,
        absoluteTimeout: absolute.trim() || null,
      });
      setPolicy(next);
      setRequirement(requirementOf(next.overrides.requireTwoFactor));
      // The server writes the TimeSpans its own way ("8:00:00" comes back as "08:00:00").
      setIdle(next.overrides.idleTimeout ?? '');
      setAbsolute(next.overrides.absoluteTimeout ?? '');
      setSaved(true);
      // Requiring 2FA here may hold the caller too, if they act in this tenant without it.
      await refresh();
    });
  };

  const timeSpanHint = 'hh:mm:ss or d.hh:mm:ss, e.g. 08:00:00 or 7.00:00:00; blank: inherit.';
  return (
    <>
      <form className="form" onSubmit={save} aria-label={`Authentication settings of ${slug}`}>
        <Field
          label="Require 2FA"
          hint={requiredEverywhere ? "Required for every user installation-wide: a tenant can't lift that." : 'Inherit: as appsettings.json says for this tenant, else not required.'}
        >
          {(id) => (
            <select id={id} value={requirement} onChange={(e) => setRequirement(e.target.value as Requirement)}>
              <option value="inherit">Inherit</option>
              <option value="required">Required</option>
              <option value="not-required">Not required</option>
            </select>
          )}
        </Field>
        <Field label="Idle timeout" hint={`A session ends after this long without a request. ${timeSpanHint}`}>
          {(id) => <input id={id} autoComplete="off" spellCheck={false} placeholder="inherit" value={idle} onChange={(e) => setIdle(e.target.value)} />}
        </Field>
        <Field label="Absolute timeout" hint={`A session ends this long after sign-in, however active. ${timeSpanHint}`}>
          {(id) => <input id={id} autoComplete="off" spellCheck={false} placeholder="inherit" value={absolute} onChange={(e) => setAbsolute(e.target.value)} />}
        </Field>
        <ErrorMessage error={action.error} />
        {saved && <Notice>Saved: it applies from the next request.</Notice>}
        <div className="actions">
          <button type="submit" className="primary" disabled={action.pending}>
            Save tenant settings
          </button>
          {policy.updatedAt && <span className="muted">Last changed {formatTime(policy.updatedAt)}</span>}
        </div>
      </form>
      <h3>What applies in {slug}</h3>
      <div className="table-wrap">
        <table aria-label={`What applies in ${slug}`}>
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Value</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>Require 2FA</td>
              <td>{effective.requireTwoFactor ? 'required' : 'not required'}</td>
              <td>{sources[effective.sources.requireTwoFactor]}</td>
            </tr>
            <tr>
              <td>Idle timeout</td>
              <td>{effective.idleTimeout}</td>
              <td>{sources[effective.sources.idleTimeout]}</td>
            </tr>
            <tr>
              <td>Absolute timeout</td>
              <td>{effective.absoluteTimeout}</td>
              <td>{sources[effective.sources.absoluteTimeout]}</td>
            </tr>
          </tbody>
        </table>
      </div>
    </>
  );
}
