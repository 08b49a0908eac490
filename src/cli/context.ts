import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import { installationWidePermissions, type Permission } from '../domain/permissions.ts';
import { CredentialStore, normalizeUrl, type StoredLogin } from './credential-file.ts';
import type { Endpoint } from './endpoints.ts';
import { endpoints } from './endpoints.ts';
import { CliError, ExitCode, failedWith } from './exit-codes.ts';
import { HttpClient, type ApiResponse, type Credential, type RequestInput } from './http-client.ts';
import { printLine } from './output.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const DEFAULT_TENANT_SLUG = 'default';

/** The options every command accepts (declared on the root command). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  tenant?: string;
  json?: boolean;
}

interface TenantPermissions {
  tenantId: string;
  tenantSlug: string;
  roleName: string;
  permissions: string[];
}

/** GET /api/v1/me */
export interface MeAnswer {
  user: { id: string; email: string; displayName: string; homeTenantId: string };
  tenant: { id: string; slug: string; role: string; permissions: string[] } | null;
  tenants: TenantPermissions[];
  permissions: string[];
  via: 'token' | 'session';
}

/** GET /api/v1/users/:id/memberships: the user and the tenants where you may see them, home first. */
export interface UserMemberships {
  user: { id: string; email: string; displayName: string; status: string; homeTenantId: string; homeTenant: string };
  memberships: Array<{ tenantId: string; tenantSlug: string; roleName: string; home: boolean }>;
}

/**
 * What a command runs with: the server, the credential and the tenant, resolved from
 * --url/--token, SOPHON_URL/SOPHON_TOKEN, then the stored login, in that order.
 */
export class CliContext {
  readonly command: Command;
  readonly options: GlobalOptions;
  readonly url: string;
  readonly credentials: CredentialStore;
  readonly storedLogin: StoredLogin | undefined;
  client: HttpClient;
  #me: Promise<MeAnswer> | undefined;
  /** The tenant chosen by `actIn`, overriding --tenant and the home tenant. */
  #actingTenant: string | undefined;

  constructor(command: Command, environment: NodeJS.ProcessEnv = process.env) {
    this.command = command;
    this.options = command.optsWithGlobals<GlobalOptions>();
    this.credentials = new CredentialStore();
    const explicitUrl = this.options.url ?? (environment.SOPHON_URL || undefined);
    // The stored token is only ever sent to the server it was made by.
    const stored = explicitUrl === undefined ? this.credentials.get(undefined) : this.credentials.get(explicitUrl);
    this.url = normalizeUrl(explicitUrl ?? stored?.url ?? DEFAULT_URL);
    if (!/^https?:\/\/[^/]/.test(this.url)) throw new CliError(ExitCode.Usage, `"${this.url}" is not an http:// or https:// URL (from --url or SOPHON_URL).`);
    this.storedLogin = stored;
    const token = this.options.token ?? (environment.SOPHON_TOKEN || undefined) ?? stored?.token;
    const credential: Credential = token ? { kind: 'token', token } : { kind: 'none' };
    this.client = new HttpClient(this.url, credential, this.options.tenant);
  }

  get json(): boolean {
    return this.options.json === true;
  }

  /** "sophon admin users delete", for messages. */
  get commandName(): string {
    const names: string[] = [];
    for (let command: Command | null = this.command; command; command = command.parent) names.unshift(command.name());
    return names.join(' ');
  }

  /** Checks the endpoint's permission (if it declares one), then sends the request. */
  async send<T = unknown>(endpoint: Endpoint, input: RequestInput = {}): Promise<ApiResponse<T>> {
    if (endpoint.permission) await this.authorize(endpoint.permission);
    return this.client.send<T>(endpoint, input);
  }

  async call<T = unknown>(endpoint: Endpoint, input: RequestInput = {}): Promise<T> {
    return (await this.send<T>(endpoint, input)).body;
  }

  /** Checks the endpoint's permission, then streams the answer (a file) into `sink` as it arrives (HttpClient.download). */
  async download(endpoint: Endpoint, input: RequestInput, open: () => Promise<Writable>, options: { end?: boolean } = {}): Promise<{ contentType: string | undefined }> {
    if (endpoint.permission) await this.authorize(endpoint.permission);
    return this.client.download(endpoint, input, open, options);
  }

  me(): Promise<MeAnswer> {
    this.#me ??= this.client.send<MeAnswer>(endpoints.me).then((response) => response.body);
    return this.#me;
  }

  /**
   * The client-side check the seed asks for: the caller's permissions in the acting tenant
   * (installation-wide ones, and anything asked `inTenant: 'default'`, in `default`). When one
   * is missing the command stops with exit code 3 before sending the change.
   */
  async authorize(permission: Permission, options: { inTenant?: typeof DEFAULT_TENANT_SLUG } = {}): Promise<void> {
    const me = await this.me();
    const inDefault = options.inTenant === DEFAULT_TENANT_SLUG || installationWidePermissions.has(permission);
    const entry = inDefault
      ? me.tenants.find((tenant) => tenant.tenantSlug === DEFAULT_TENANT_SLUG)
      : this.#actingTenant !== undefined
        ? me.tenants.find((tenant) => tenant.tenantSlug === this.#actingTenant)
        : me.tenant && { tenantSlug: me.tenant.slug, roleName: me.tenant.role, permissions: me.tenant.permissions };
    if (entry?.permissions.includes(permission)) return;
    const slug = entry?.tenantSlug ?? (inDefault ? DEFAULT_TENANT_SLUG : (this.#actingTenant ?? this.options.tenant ?? 'your home tenant'));
    const role = entry ? `your role there is ${entry.roleName}` : 'you have no role there';
    const why = inDefault && !options.inTenant ? ` (${permission} is installation-wide, so it is checked in tenant "${DEFAULT_TENANT_SLUG}")` : '';
    throw new CliError(
      ExitCode.PermissionDenied,
      `permission denied: "${this.commandName}" needs the ${permission} permission in tenant "${slug}"${why}; ${role}. Nothing was sent to the server.`,
      'PERMISSION_MISSING',
    );
  }

  /** From now on, sends requests as acting in this tenant (X-Sophon-Tenant) and checks permissions there. */
  actIn(tenantSlug: string): void {
    this.#actingTenant = tenantSlug;
    this.client = new HttpClient(this.url, this.client.credential, tenantSlug);
  }

  /**
   * A user named by id or email, found in any tenant where you may see users, with those tenants
   * (GET /users/:id/memberships); undefined from a server too old to answer that.
   */
  async locateUser(reference: string): Promise<UserMemberships | undefined> {
    try {
      return await this.call<UserMemberships>(endpoints.userMemberships, { params: { id: reference } });
    } catch (error) {
      if (failedWith(error, 'ROUTE_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /**
   * A user named by id or email: an email is looked up in the acting tenant (exact,
   * case-insensitive match); anything else is taken as an id.
   */
  async resolveUserId(reference: string): Promise<string> {
    if (!reference.includes('@')) return reference;
    const page = await this.call<{ items: Array<{ id: string; email: string }> }>(endpoints.listUsers, { query: { search: reference, limit: 200 } });
    const wanted = reference.trim().toLowerCase();
    const match = page.items.find((user) => user.email.toLowerCase() === wanted);
    if (!match) throw new CliError(ExitCode.NotFound, `not found: no user with email ${reference} in tenant "${this.options.tenant ?? (await this.me()).tenant?.slug ?? 'home'}".`, 'USER_NOT_FOUND');
    return match.id;
  }

  /** Prints the API's object as JSON with --json, else the human rendering. */
  output<T>(value: T, human: (value: T) => void): void {
    if (this.json) printLine(JSON.stringify(value, null, 2));
    else human(value);
  }
}
