import { Command, InvalidArgumentError } from 'commander';
import { action, examples } from '../action.ts';
import { durationArgument } from '../arguments.ts';
import { endpoints } from '../endpoints.ts';
import { formatValue, printLine, printTable, renderDetails } from '../output.ts';

/** An access request as the API answers it (src/domain/access/access-request-service.ts). */
interface AccessRequestAnswer {
  id: string;
  tenant: { slug: string };
  user: { id: string; email: string };
  role: { id: string; name: string };
  durationSeconds: number;
  duration: string;
  reason: string;
  status: 'pending' | 'approved' | 'denied';
  createdAt: string;
  decidedAt: string | null;
  decidedBy: { id: string; email: string | null } | null;
  decisionReason: string | null;
  endsAt: string | null;
  mayApprove?: boolean;
  refusal?: string | null;
}

const details = (request: AccessRequestAnswer) =>
  renderDetails([
    ['Request', request.id],
    ['User', request.user.email],
    ['Role', `${request.role.name} in tenant ${request.tenant.slug}`],
    ['Duration', request.duration],
    ['Reason', request.reason],
    ['Status', request.status],
    ['Asked', request.createdAt],
    ['Decided', request.decidedAt ? `${formatValue(request.decidedAt)} by ${request.decidedBy?.email ?? request.decidedBy?.id ?? '-'}` : null],
    ['Decision note', request.decisionReason],
    ['Ends', request.endsAt],
  ]);

const statusArgument = (value: string): string => {
  if (!['pending', 'approved', 'denied', 'all'].includes(value)) throw new InvalidArgumentError('use pending, approved, denied or all');
  return value;
};

/** `sophon auth access request|list`: ask for a time-bound role, and see your requests. */
export function accessCommand(): Command {
  const access = new Command('access').description('ask for a time-bound role (an access request an eligible approver decides), and see your requests');
  access
    .command('request')
    .description('ask for a role in the tenant (--tenant, else your home tenant) for a while, with a reason; approvers who may grant it are mailed')
    .requiredOption('--role <role>', 'the role to hold for a while (any case)')
    .requiredOption('--for <duration>', 'how long: 90m, 4h, 1d (at most Sophon:Rbac:MaxElevation)', durationArgument)
    .requiredOption('--reason <text>', 'why you need it; approvers see it')
    .addHelpText('after', examples('sophon auth access request --role Operator --tenant acme --for 4h --reason "approve the release workflow"'))
    .action(
      action<{ role: string; for: string; reason: string }>(async (context, _arguments, options) => {
        const request = await context.call<AccessRequestAnswer>(endpoints.requestAccess, { body: { role: options.role, duration: options.for, reason: options.reason } });
        context.output(request, () => {
          printLine(`Asked for ${request.role.name} in tenant ${request.tenant.slug} for ${request.duration}: request ${request.id}, pending.`);
          printLine('An approver holding AssignRoles and every permission of that role there decides it; see it with: sophon auth access list');
        });
      }),
    );
  access
    .command('list')
    .description('your access requests in every tenant, newest first')
    .addHelpText('after', examples('sophon auth access list', 'sophon auth access list --json'))
    .action(
      action(async (context) => {
        const answer = await context.call<{ items: AccessRequestAnswer[] }>(endpoints.listOwnAccessRequests);
        context.output(answer, () =>
          printTable(answer.items, [
            { header: 'ID', value: (request) => request.id },
            { header: 'TENANT', value: (request) => request.tenant.slug },
            { header: 'ROLE', value: (request) => request.role.name },
            { header: 'FOR', value: (request) => request.duration },
            { header: 'STATUS', value: (request) => request.status },
            { header: 'ENDS', value: (request) => request.endsAt },
            { header: 'NOTE', value: (request) => request.decisionReason },
          ], 'No access requests.'),
        );
      }),
    );
  return access;
}

/** `sophon admin access-requests list|show|approve|deny`: the approvers' side, in the tenant (--tenant). */
export function adminAccessRequestsCommand(): Command {
  const requests = new Command('access-requests').description("decide access requests of the tenant (--tenant, else your home tenant): needs AssignRoles there and every permission of the role asked for; never your own");
  requests
    .command('list')
    .description('the tenant\'s access requests, newest first; pending ones by default, with whether you may approve each')
    .option('--status <status>', 'pending, approved, denied or all', statusArgument, 'pending')
    .addHelpText('after', examples('sophon admin access-requests list --tenant acme', 'sophon admin access-requests list --status all --json'))
    .action(
      action<{ status: string }>(async (context, _arguments, options) => {
        const answer = await context.call<{ items: AccessRequestAnswer[] }>(endpoints.listAccessRequests, { query: options.status === 'all' ? {} : { status: options.status } });
        context.output(answer, () =>
          printTable(answer.items, [
            { header: 'ID', value: (request) => request.id },
            { header: 'USER', value: (request) => request.user.email },
            { header: 'ROLE', value: (request) => request.role.name },
            { header: 'FOR', value: (request) => request.duration },
            { header: 'STATUS', value: (request) => request.status },
            { header: 'REASON', value: (request) => request.reason },
            { header: 'YOU MAY APPROVE', value: (request) => (request.status !== 'pending' ? '-' : request.mayApprove ? 'yes' : `no (${request.refusal})`) },
          ], 'No access requests.'),
        );
      }),
    );
  requests
    .command('show')
    .description('one access request of the tenant')
    .argument('<request-id>')
    .addHelpText('after', examples('sophon admin access-requests show <request-id> --tenant acme', 'sophon admin access-requests show <request-id> --json'))
    .action(
      action(async (context, [id]) => {
        const request = await context.call<AccessRequestAnswer>(endpoints.getAccessRequest, { params: { id: id! } });
        context.output(request, () => printLine(details(request)));
      }),
    );
  requests
    .command('approve')
    .description('approve a pending request: the user holds the role from now for the duration asked (or --for, shorter), at most Sophon:Rbac:MaxElevation; their permanent role applies again at the end')
    .argument('<request-id>')
    .option('--for <duration>', 'grant for this long instead of what was asked', durationArgument)
    .option('--reason <text>', 'a note for the requester and the audit trail')
    .addHelpText('after', examples('sophon admin access-requests approve <request-id> --tenant acme', 'sophon admin access-requests approve <request-id> --for 2h --reason "two hours are enough"'))
    .action(
      action<{ for?: string; reason?: string }>(async (context, [id], options) => {
        const request = await context.call<AccessRequestAnswer>(endpoints.approveAccessRequest, { params: { id: id! }, body: { duration: options.for, reason: options.reason } });
        context.output(request, () => printLine(`Approved: ${request.user.email} holds ${request.role.name} in tenant ${request.tenant.slug} until ${formatValue(request.endsAt)}, from their next request; then their permanent role applies again.`));
      }),
    );
  requests
    .command('deny')
    .description('deny a pending request, with a reason the requester sees')
    .argument('<request-id>')
    .requiredOption('--reason <text>', 'why')
    .addHelpText('after', examples('sophon admin access-requests deny <request-id> --reason "use the staging tenant"'))
    .action(
      action<{ reason: string }>(async (context, [id], options) => {
        const request = await context.call<AccessRequestAnswer>(endpoints.denyAccessRequest, { params: { id: id! }, body: { reason: options.reason } });
        context.output(request, () => printLine(`Denied request ${request.id} of ${request.user.email} for ${request.role.name}.`));
      }),
    );
  return requests;
}
