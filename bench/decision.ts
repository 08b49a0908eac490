/**
 * `npm run bench:decision`: what one in-process permission decision costs (issue 8, P3), at 10
 * and at 10,000 distinct roles, so that a decision is seen not to depend on how many roles exist.
 *
 * Measured: `AccessService.permissionSetOf(role).has(permission)` (the precomputed, frozen set of
 * a role; the first call per distinct role builds it, every later one finds it) and
 * `AccessService.holds(actor, permission, tenant)` once the request's role is remembered (what the
 * route's check and the domain's re-check cost after the one authorization statement). Each is
 * timed over many calls per round, rounds interleaved, and printed as min/median/max ns per
 * decision; the 10,000-role figures also as a ratio to the 10-role ones of the same round. No
 * database is involved: the store is never reached (a test double that throws proves it).
 *
 * Options: --rounds (5), --calls (200000) per case and round.
 */
import { parseArgs } from 'node:util';
import { AccessService } from '../src/domain/access/access-service.ts';
import { allPermissions, installationWidePermissions, type Permission } from '../src/domain/permissions.ts';
import type { Role } from '../src/domain/roles/role.ts';
import type { Store } from '../src/domain/store.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, calls: { type: 'string' } } });
const rounds = Math.max(1, Number(values.rounds ?? 5));
const calls = Math.max(1000, Number(values.calls ?? 200_000));

/** Any read would be a round trip: the decisions measured here must not make one. */
const unreachable = new Proxy({}, { get: (_, name) => { throw new Error(`the store was reached (${String(name)}): a decision should not read`); } }) as Store;

const DEFAULT_TENANT = 'tenant-default';

function customRoles(count: number): Role[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `role-${index}`,
    name: `role ${index}`,
    description: '',
    tenantId: `tenant-${index % 100}`,
    builtIn: false,
    // Different contents, so each role has a set of its own.
    permissions: allPermissions.filter((_, position) => (position * 7 + index) % 3 !== 0 || position === index % allPermissions.length),
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  }));
}

interface Case {
  name: string;
  roles: number;
  setUp(): { run(index: number): boolean | Promise<boolean> };
}

function setOf(count: number): Case {
  return {
    name: 'permissionSetOf(role).has',
    roles: count,
    setUp() {
      const access = new AccessService(unreachable);
      const roles = customRoles(count);
      for (const role of roles) access.permissionSetOf(role, false);
      const permissions: readonly Permission[] = allPermissions;
      return { run: (index) => access.permissionSetOf(roles[index % count]!, false).has(permissions[index % permissions.length]!) };
    },
  };
}

function remembered(count: number): Case {
  return {
    name: 'holds (role remembered)',
    roles: count,
    setUp() {
      const access = new AccessService(unreachable);
      const roles = customRoles(count);
      // One request's actor per role, each with its role remembered as the authorization statement does.
      const actors = roles.map((role, index) => {
        const actor = { userId: `user-${index}` };
        access.remember(actor, role.tenantId!, role, false);
        access.remember(actor, DEFAULT_TENANT, undefined, true);
        return { actor, tenantId: role.tenantId! };
      });
      // Tenant permissions only: an installation-wide one is looked up in `default`, whose id the service reads once per process.
      const permissions = allPermissions.filter((permission) => !installationWidePermissions.has(permission));
      return {
        run: (index) => {
          const { actor, tenantId } = actors[index % count]!;
          return access.holds(actor, permissions[index % permissions.length]!, tenantId);
        },
      };
    },
  };
}

async function time(test: Case): Promise<number> {
  const { run } = test.setUp();
  for (let index = 0; index < 10_000; index++) await run(index);
  const started = process.hrtime.bigint();
  let granted = 0;
  for (let index = 0; index < calls; index++) if (await run(index)) granted++;
  const elapsed = Number(process.hrtime.bigint() - started);
  if (granted === 0 || granted === calls) throw new Error(`${test.name}: every decision came out the same (${granted}/${calls}); the benchmark is not deciding`);
  return elapsed / calls;
}

const cases = [setOf(10), setOf(10_000), remembered(10), remembered(10_000)];
const results = new Map<Case, number[]>(cases.map((test) => [test, []]));
for (let round = 0; round < rounds; round++) for (const test of cases) results.get(test)!.push(await time(test));

const stats = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
};
console.log(`One in-process decision, ns: ${rounds} rounds × ${calls} calls, Node ${process.version}\n`);
console.log(['case', 'roles', 'min', 'median', 'max', 'ratio to 10 roles (median of rounds)'].join('\t'));
for (const test of cases) {
  const { min, median, max } = stats(results.get(test)!);
  const baseline = cases.find((other) => other.name === test.name && other.roles === 10)!;
  const ratios = results.get(test)!.map((value, round) => value / results.get(baseline)![round]!);
  console.log([test.name, test.roles, min.toFixed(0), median.toFixed(0), max.toFixed(0), test === baseline ? '' : stats(ratios).median.toFixed(2)].join('\t'));
}
