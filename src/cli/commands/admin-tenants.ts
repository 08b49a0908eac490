import { Command } from 'commander';
import { action, examples } from '../action.ts';
import { endpoints } from '../endpoints.ts';
import { printLine, printTable } from '../output.ts';

interface TenantView {
  id: string;
  slug: string;
  name: string;
  myRole?: string | null;
  createdAt: string;
}

export function adminTenantsCommand(): Command {
  const tenants = new Command('tenants').description('tenant workspaces');

  tenants
    .command('list')
    .description('the tenants you belong to (every tenant if you may manage tenants)')
    .addHelpText('after', examples('sophon admin tenants list'))
    .action(
      action(async (context) => {
        const answer = await context.call<{ items: TenantView[] }>(endpoints.listTenants);
        context.output(answer, () =>
          printTable(answer.items, [
            { header: 'SLUG', value: (tenant) => tenant.slug },
            { header: 'NAME', value: (tenant) => tenant.name },
            { header: 'YOUR ROLE', value: (tenant) => tenant.myRole },
            { header: 'ID', value: (tenant) => tenant.id },
            { header: 'CREATED', value: (tenant) => tenant.createdAt },
          ]),
        );
      }),
    );

  tenants
    .command('create')
    .description('create a tenant; you become its Admin (needs ManageTenants in tenant "default")')
    .argument('<slug>', 'lowercase letters, digits and hyphens, e.g. acme')
    .requiredOption('--name <name>', 'display name, e.g. "Acme Corp"')
    .addHelpText('after', examples('sophon admin tenants create acme --name "Acme Corp"'))
    .action(
      action<{ name: string }>(async (context, [slug], options) => {
        const tenant = await context.call<TenantView>(endpoints.createTenant, { body: { slug, name: options.name } });
        context.output(tenant, () => printLine(`Created tenant ${tenant.slug} ("${tenant.name}", ${tenant.id}); you are its Admin. Act in it with --tenant ${tenant.slug}.`));
      }),
    );

  return tenants;
}
