import { Command, Option } from 'commander';
import { action, examples } from '../action.ts';
import { collectPermissions } from '../arguments.ts';
import type { CliContext } from '../context.ts';
import { endpoints } from '../endpoints.ts';
import { CliError, ExitCode, usageError } from '../exit-codes.ts';
import { note, printLine, printTable, renderDetails } from '../output.ts';
import { confirm } from '../prompt.ts';

interface RoleView {
  id: string;
  name: string;
  description: string;
  tenantId: string | null;
  builtIn: boolean;
  permissions: string[];
  scope: 'global' | 'tenant';
  usedBy: number;
  createdAt: string;
  updatedAt: string;
}

function printRole(role: RoleView): void {
  printLine(
    renderDetails([
      ['ID', role.id],
      ['Name', role.name],
      ['Description', role.description],
      ['Kind', role.builtIn ? 'built-in' : role.scope === 'global' ? 'custom, global (every tenant)' : 'custom, this tenant only'],
      ['Assigned to', `${role.usedBy} user(s)`],
    ]),
  );
  printLine(`Permissions (${role.permissions.length}):`);
  for (const permission of role.permissions) printLine(`  ${permission}`);
}

/** A role named by id or by name (any case), among the roles usable in the acting tenant. */
async function findRole(context: CliContext, reference: string): Promise<RoleView> {
  const { items } = await context.call<{ items: RoleView[] }>(endpoints.listRoles);
  const wanted = reference.trim().toLowerCase();
  const role = items.find((candidate) => candidate.id === reference) ?? items.find((candidate) => candidate.name.toLowerCase() === wanted);
  if (!role) throw new CliError(ExitCode.NotFound, `not found: no role "${reference}" in tenant "${context.options.tenant ?? (await context.me()).tenant?.slug}".`, 'ROLE_NOT_FOUND');
  return role;
}

/** A global role is governed from the installation's home tenant, `default`; a tenant role from its tenant. */
async function authorizeRoleChange(context: CliContext, scope: 'global' | 'tenant'): Promise<void> {
  await context.authorize('ManageRoles', scope === 'global' ? { inTenant: 'default' } : {});
}

const permissionOption = (flags: string, description: string) => new Option(flags, description).argParser(collectPermissions);

export function adminRolesCommand(): Command {
  const roles = new Command('roles').description('built-in and custom roles and their permissions');

  roles
    .command('list')
    .description('roles usable in the tenant: built-in, global and the tenant\'s own')
    .addHelpText('after', examples('sophon admin roles list', 'sophon admin roles list --tenant acme'))
    .action(
      action(async (context) => {
        const answer = await context.call<{ items: RoleView[] }>(endpoints.listRoles);
        context.output(answer, () =>
          printTable(answer.items, [
            { header: 'ID', value: (role) => role.id },
            { header: 'NAME', value: (role) => role.name },
            { header: 'KIND', value: (role) => (role.builtIn ? 'built-in' : role.scope) },
            { header: 'USERS', value: (role) => role.usedBy },
            { header: 'PERMISSIONS', value: (role) => (role.builtIn && role.id === 'admin' ? 'all' : role.permissions.length) },
            { header: 'DESCRIPTION', value: (role) => role.description },
          ]),
        );
      }),
    );

  roles
    .command('show')
    .description('one role and its permissions')
    .argument('<role>', 'role id or name')
    .addHelpText('after', examples('sophon admin roles show workflow-editor'))
    .action(
      action(async (context, [reference]) => {
        const found = await findRole(context, reference!);
        const role = await context.call<RoleView>(endpoints.getRole, { params: { id: found.id } });
        context.output(role, printRole);
      }),
    );

  roles
    .command('create')
    .description('create a custom role; you can only grant permissions you hold')
    .argument('<name>', 'e.g. workflow-editor, finance-auditor')
    .addOption(permissionOption('--permission <names>', 'a permission to grant; repeat it or give a comma list').makeOptionMandatory())
    .option('--description <text>', 'internal notes')
    .addOption(new Option('--scope <scope>', 'global: every tenant; tenant: only the tenant it is created in').choices(['tenant', 'global']).default('tenant'))
    .addHelpText(
      'after',
      examples(
        'sophon admin roles create workflow-editor --tenant acme --permission ViewUsers,ManageWorkflows,ManageCronJobs,ManageWebhooks,ApproveActions,ViewAuditLogs',
        'sophon admin roles create compliance-auditor --scope global --permission ViewUsers --permission ViewAuditLogs --permission ExportAuditLogs',
      ),
    )
    .action(
      action<{ permission: string[]; description?: string; scope: 'global' | 'tenant' }>(async (context, [name], options) => {
        await authorizeRoleChange(context, options.scope);
        const role = await context.call<RoleView>(endpoints.createRole, {
          body: { name, description: options.description, permissions: options.permission, scope: options.scope },
        });
        context.output(role, () => {
          printLine(`Created role ${role.name} (${role.id}).`);
          printRole(role);
        });
      }),
    );

  roles
    .command('update')
    .description('change a custom role (built-in roles are fixed)')
    .argument('<role>', 'role id or name')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .addOption(permissionOption('--permission <names>', 'replace the permissions with these; repeat it or give a comma list'))
    .addOption(permissionOption('--add-permission <names>', 'add permissions').conflicts('permission'))
    .addOption(permissionOption('--remove-permission <names>', 'remove permissions').conflicts('permission'))
    .addHelpText('after', examples('sophon admin roles update workflow-editor --add-permission ManageAgents', 'sophon admin roles update workflow-editor --permission ViewUsers,ManageWorkflows'))
    .action(
      action<{ name?: string; description?: string; permission?: string[]; addPermission?: string[]; removePermission?: string[] }>(async (context, [reference], options) => {
        if (Object.values(options).every((value) => value === undefined)) throw usageError('nothing to change: give --name, --description or permissions.');
        const role = await findRole(context, reference!);
        await authorizeRoleChange(context, role.scope);
        let permissions = options.permission;
        if (options.addPermission || options.removePermission) {
          const removed = new Set(options.removePermission ?? []);
          permissions = [...new Set([...role.permissions, ...(options.addPermission ?? [])])].filter((permission) => !removed.has(permission));
        }
        const updated = await context.call<RoleView>(endpoints.updateRole, { params: { id: role.id }, body: { name: options.name, description: options.description, permissions } });
        context.output(updated, printRole);
      }),
    );

  roles
    .command('delete')
    .description('delete a custom role that no one holds')
    .argument('<role>', 'role id or name')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', examples('sophon admin roles delete workflow-editor --yes'))
    .action(
      action<{ yes?: boolean }>(async (context, [reference], options) => {
        const role = await findRole(context, reference!);
        await authorizeRoleChange(context, role.scope);
        if (!(await confirm(`Delete role ${role.name} (${role.id})?`, options.yes))) return void note('Nothing deleted.');
        await context.call(endpoints.deleteRole, { params: { id: role.id } });
        context.output({}, () => printLine(`Deleted role ${role.name}.`));
      }),
    );

  return roles;
}
