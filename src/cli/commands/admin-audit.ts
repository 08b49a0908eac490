import { Command, Option } from 'commander';
import { AUDIT_CATEGORIES } from '../../domain/audit/audit-event.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../../domain/export-format.ts';
import { action, examples } from '../action.ts';
import { positiveIntegerArgument, timeArgument } from '../arguments.ts';
import { endpoints } from '../endpoints.ts';
import { usageError } from '../exit-codes.ts';
import { downloadExport } from '../export-file.ts';
import { formatValue, note, printLine, printTable } from '../output.ts';

interface AuditEvent {
  id: string;
  occurredAt: string;
  actorEmail: string | null;
  actorId: string | null;
  category: string;
  action: string;
  outcome: string;
  subjectType: string | null;
  subjectId: string | null;
  diff: { before: Record<string, unknown> | null; after: Record<string, unknown> | null } | null;
  detail: Record<string, unknown> | null;
}

const categories: string[] = [...AUDIT_CATEGORIES];

function describeChange(event: AuditEvent): string {
  const parts: string[] = [];
  if (event.diff) parts.push(`${formatValue(event.diff.before)} → ${formatValue(event.diff.after)}`);
  if (event.detail) parts.push(formatValue(event.detail));
  const text = parts.join(' ');
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

export function adminAuditCommand(): Command {
  const audit = new Command('audit').description('the audit trail');

  audit
    .command('list')
    .description("the tenant's audit events, newest first")
    .option('--user <user>', 'events by or about this user (id or email)')
    .addOption(new Option('--category <category>', 'only this category').choices(categories))
    .option('--since <time>', 'from this time: ISO date/time, or how long ago (7d, 12h)', (value) => timeArgument(value))
    .option('--until <time>', 'up to this time: ISO date/time, or how long ago', (value) => timeArgument(value))
    .option('--limit <n>', 'at most this many (1-500, default 100)', positiveIntegerArgument)
    .option('--cursor <cursor>', 'continue after this point (printed when there are more)')
    .addHelpText('after', examples('sophon admin audit list --category rbac', 'sophon admin audit list --user jane@example.com --since 7d', 'sophon admin audit list --tenant acme --since 2026-01-01 --until 2026-02-01 --json'))
    .action(
      action<{ user?: string; category?: string; since?: string; until?: string; limit?: number; cursor?: string }>(async (context, _args, options) => {
        await context.authorize('ViewAuditLogs');
        const user = options.user === undefined ? undefined : await context.resolveUserId(options.user);
        const page = await context.call<{ items: AuditEvent[]; nextCursor: string | null }>(endpoints.listAudit, { query: { ...options, user } });
        context.output(page, () => {
          printTable(page.items, [
            { header: 'TIME', value: (event) => event.occurredAt },
            { header: 'ACTOR', value: (event) => event.actorEmail ?? event.actorId },
            { header: 'CATEGORY', value: (event) => event.category },
            { header: 'ACTION', value: (event) => event.action },
            { header: 'OUTCOME', value: (event) => event.outcome },
            { header: 'SUBJECT', value: (event) => (event.subjectId ? `${event.subjectType}:${event.subjectId}` : null) },
            { header: 'CHANGE', value: describeChange },
          ], 'No matching audit events.');
          if (page.nextCursor) note(`More: --cursor ${page.nextCursor}`);
        });
      }),
    );

  audit
    .command('export')
    .description("every audit event of the tenant matching the filters, oldest first, as CSV, JSON or JSON Lines, written as it arrives (any length; needs ExportAuditLogs; the export is itself audited)")
    .option('--user <user>', 'events by or about this user (id or email)')
    .addOption(new Option('--category <category>', 'only this category').choices(categories))
    .option('--since <time>', 'from this time: ISO date/time, or how long ago (7d, 12h)', (value) => timeArgument(value))
    .option('--until <time>', 'up to this time: ISO date/time, or how long ago', (value) => timeArgument(value))
    .addOption(new Option('--format <format>', 'file format (jsonl: one JSON object per line)').choices([...EXPORT_FORMATS]).default('csv'))
    .option('--out <file>', 'write to this file (created readable by you only); without it, to standard output')
    .option('--bom', 'start the CSV with a UTF-8 byte-order mark, so Excel reads it as UTF-8')
    .addHelpText(
      'after',
      examples(
        'sophon admin audit export --category rbac --out rbac-trail.csv',
        'sophon admin audit export --since 30d --format json --out last-month.json',
        'sophon admin audit export --since 365d --format jsonl --out last-year.jsonl',
        'sophon admin audit export --since 30d --bom --out for-excel.csv',
      ),
    )
    .action(
      action<{ user?: string; category?: string; since?: string; until?: string; format: ExportFormat; out?: string; bom?: boolean }>(async (context, _args, options) => {
        if (options.bom && options.format !== 'csv') throw usageError('--bom is for CSV files; JSON goes without a byte-order mark.');
        await context.authorize('ExportAuditLogs');
        const user = options.user === undefined ? undefined : await context.resolveUserId(options.user);
        const { out, bom, ...filters } = options;
        await downloadExport(context, endpoints.exportAudit, { query: { ...filters, user } }, { out, bom });
        if (out) context.output({ out, format: options.format }, () => printLine(`Exported the audit trail (${options.format}) to ${out}.`));
      }),
    );

  return audit;
}
