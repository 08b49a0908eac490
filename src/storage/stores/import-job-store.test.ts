import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/context.ts';
import { newId } from '../../domain/ids.ts';
import type { ImportJob, NewImportJobRow } from '../../domain/users/import-job.ts';
import { addTenant, addUser, at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

/** Import jobs belong to a tenant: another tenant's job is not there. */
describe.each(engines)('import job store on %s', (engine) => {
  let fixture: StoreFixture;
  let tenantId: string;
  let otherTenantId: string;
  let actor: Actor;

  const aJob = (changes: Partial<ImportJob> = {}): ImportJob => ({
    id: newId(),
    tenantId,
    actor,
    status: 'queued',
    phase: 'create',
    dryRun: false,
    allOrNothing: false,
    counts: { total: 0, done: 0, created: 0, valid: 0, failed: 0 },
    passwordsHashed: 0,
    resumed: 0,
    sealedKey: 'key',
    error: null,
    createdAt: at(),
    updatedAt: at(),
    finishedAt: null,
    ...changes,
  });
  const rowsOf = (...emails: string[]): NewImportJobRow[] =>
    emails.map((email, index) => ({ line: index + 2, email, emailNormalized: email.toLowerCase(), displayName: `Row ${index}`, role: null, tenant: null, passwordSealed: index === 0 ? 'v1.sealed' : null }));

  beforeAll(async () => {
    fixture = await openTestStore(engine);
    tenantId = (await addTenant(fixture.store)).id;
    otherTenantId = (await addTenant(fixture.store)).id;
    const user = await addUser(fixture.store, tenantId);
    actor = { userId: user.id, email: user.email, homeTenantId: tenantId, tenantId, ip: '192.0.2.1', userAgent: 'test', sessionId: null, tokenId: null };
  });
  afterAll(() => fixture.close());

  it('keeps a job with its actor, and finds it only in its own tenant', async () => {
    const job = aJob();
    await fixture.store.importJobs.create(job);
    expect(await fixture.store.importJobs.get(tenantId, job.id)).toEqual({ ...job, lease: null });
    expect(await fixture.store.importJobs.get(otherTenantId, job.id)).toBeUndefined();
  });

  it('leases a job to one runner at a time, until the lease runs out or is given up', async () => {
    const job = aJob({ status: 'running' });
    await fixture.store.importJobs.create(job);
    const { takeLease, releaseLease } = fixture.store.importJobs;
    expect(await takeLease(job.id, 'node-a', at(0), at(30))).toBe(true);
    expect(await takeLease(job.id, 'node-b', at(10), at(40))).toBe(false);
    // Renewed by its holder; still not another's.
    expect(await takeLease(job.id, 'node-a', at(20), at(50))).toBe(true);
    expect(await takeLease(job.id, 'node-b', at(40), at(70))).toBe(false);
    expect((await fixture.store.importJobs.get(tenantId, job.id))?.lease).toEqual({ runnerId: 'node-a', expiresAt: at(50) });
    // Run out: another runner takes it, and the old holder can't renew.
    expect(await takeLease(job.id, 'node-b', at(50), at(80))).toBe(true);
    expect(await takeLease(job.id, 'node-a', at(51), at(81))).toBe(false);
    // Given up by someone else: nothing changes; by its holder: free for anyone at once.
    await releaseLease(job.id, 'node-a');
    expect(await takeLease(job.id, 'node-c', at(52), at(82))).toBe(false);
    await releaseLease(job.id, 'node-b');
    expect(await takeLease(job.id, 'node-c', at(53), at(83))).toBe(true);
    // A job that is over is nobody's.
    expect(await fixture.store.importJobs.update(job.id, { status: 'done' }, 'running')).toBe(true);
    expect(await takeLease(job.id, 'node-c', at(54), at(84))).toBe(false);
  });

  it('lists the unfinished jobs, oldest first, and changes a status only from the one expected', async () => {
    const running = aJob({ status: 'running', createdAt: at(-10) });
    const done = aJob({ status: 'done' });
    await fixture.store.importJobs.create(running);
    await fixture.store.importJobs.create(done);
    const unfinished = (await fixture.store.importJobs.listUnfinished()).map((job) => job.id);
    expect(unfinished[0]).toBe(running.id);
    expect(unfinished).not.toContain(done.id);
    expect(await fixture.store.importJobs.update(done.id, { status: 'done' }, 'running')).toBe(false);
    expect(await fixture.store.importJobs.update(running.id, { status: 'done', finishedAt: at(1) }, 'running')).toBe(true);
  });

  it('claims a batch once: a second claim of the same rows gets none, and a claim rolled back leaves them pending', async () => {
    const job = aJob();
    await fixture.store.importJobs.create(job);
    await fixture.store.importJobs.addRows(job.id, rowsOf('a@example.test', 'b@example.test', 'A@example.test'));
    const [first, second] = await fixture.store.importJobs.listRows(job.id, { status: 'pending', limit: 2 });
    // Taken in a run's transaction that fails before it commits: nothing changed.
    await expect(
      fixture.store.transaction(async (tx) => {
        expect(await tx.importJobs.claimRows(job.id, [2, 3], 'pending')).toEqual([2, 3]);
        throw new Error('the run died');
      }),
    ).rejects.toThrow('the run died');
    expect(await fixture.store.importJobs.countRows(job.id)).toMatchObject({ pending: 3 });
    const claimed = await fixture.store.transaction(async (tx) => {
      const lines = await tx.importJobs.claimRows(job.id, [2, 3], 'pending');
      await tx.importJobs.settleRows(job.id, [
        { line: 2, row: first!, status: 'valid' },
        { line: 3, row: second!, status: 'valid' },
      ]);
      return lines;
    });
    expect(claimed).toEqual([2, 3]);
    expect(await fixture.store.transaction((tx) => tx.importJobs.claimRows(job.id, [2, 3, 4], 'pending'))).toEqual([4]);
    expect(await fixture.store.importJobs.countRows(job.id)).toMatchObject({ pending: 0, valid: 2 });
  });

  it('settles claimed rows with their outcome, forgetting the password, and adds counts up', async () => {
    const job = aJob();
    await fixture.store.importJobs.create(job);
    await fixture.store.importJobs.addRows(job.id, rowsOf('c@example.test', 'd@example.test'));
    const [first, second] = await fixture.store.importJobs.listRows(job.id, { status: 'pending', limit: 10 });
    await fixture.store.transaction(async (tx) => {
      await tx.importJobs.claimRows(job.id, [2, 3], 'pending');
      await tx.importJobs.settleRows(job.id, [
        { line: 2, row: first!, status: 'created', userId: actor.userId, outcome: { oneTimePassword: 'sealed' }, oneTimePasswordSealed: 'v1.otp' },
        { line: 3, row: second!, status: 'rejected', error: { code: 'EMAIL_TAKEN', message: 'taken' } },
      ]);
      await tx.importJobs.addToCounts(job.id, { done: 2, created: 1, valid: 0, failed: 1, passwordsHashed: 1 }, at(2));
    });
    const rows = await fixture.store.importJobs.listRows(job.id, { limit: 10 });
    expect(rows[0]).toMatchObject({ line: 2, status: 'created', userId: actor.userId, passwordSealed: null, oneTimePasswordSealed: 'v1.otp', outcome: { oneTimePassword: 'sealed' } });
    expect(rows[1]).toMatchObject({ line: 3, status: 'rejected', error: { code: 'EMAIL_TAKEN', message: 'taken' } });
    expect((await fixture.store.importJobs.get(tenantId, job.id))!.counts).toEqual({ total: 0, done: 2, created: 1, valid: 0, failed: 1 });
    await fixture.store.importJobs.clearOneTimePasswords(job.id, [2]);
    expect((await fixture.store.importJobs.listRows(job.id, { limit: 1 }))[0]!.oneTimePasswordSealed).toBeNull();
  });

  it('finds the first line of each email and the emails users already have', async () => {
    const job = aJob();
    await fixture.store.importJobs.create(job);
    await fixture.store.importJobs.addRows(job.id, rowsOf('e@example.test', 'f@example.test', 'e@example.test'));
    const first = await fixture.store.importJobs.firstLinesOfEmails(job.id, ['e@example.test', 'f@example.test', 'nobody@example.test']);
    expect(Object.fromEntries(first)).toEqual({ 'e@example.test': 2, 'f@example.test': 3 });
    const taken = await fixture.store.transaction((tx) => tx.importJobs.takenEmails([actor.email.toLowerCase(), 'free@example.test']));
    expect([...taken]).toEqual([actor.email.toLowerCase()]);
  });

  it('forgets the rows of jobs finished before a time, keeping the jobs and the rows of the others', async () => {
    const old = aJob({ status: 'done', finishedAt: at(-60) });
    const recent = aJob({ status: 'done', finishedAt: at(60) });
    for (const job of [old, recent]) {
      await fixture.store.importJobs.create(job);
      await fixture.store.importJobs.addRows(job.id, rowsOf('old@example.test', 'older@example.test'));
    }
    expect(await fixture.store.importJobs.deleteRowsOfJobsFinishedBefore(at())).toBe(2);
    expect(await fixture.store.importJobs.listRows(old.id, { limit: 10 })).toEqual([]);
    expect(await fixture.store.importJobs.get(tenantId, old.id)).toMatchObject({ status: 'done' });
    expect(await fixture.store.importJobs.listRows(recent.id, { limit: 10 })).toHaveLength(2);
  });

  it('deletes a job with its rows', async () => {
    const job = aJob();
    await fixture.store.importJobs.create(job);
    await fixture.store.importJobs.addRows(job.id, rowsOf('g@example.test'));
    await fixture.store.importJobs.delete(job.id);
    expect(await fixture.store.importJobs.get(tenantId, job.id)).toBeUndefined();
    expect(await fixture.store.importJobs.listRows(job.id, { limit: 10 })).toEqual([]);
  });
});
