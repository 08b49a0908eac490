import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import { LINK_TOKEN_SLOT, REDACTED_BODY, type OutboxMessage } from '../../domain/mail/outbox.ts';
import { at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

describe.each(engines)('mail outbox store on %s', (engine) => {
  let fixture: StoreFixture;
  const tenant = newId();
  const otherTenant = newId();

  const aMessage = (changes: Partial<OutboxMessage> = {}): OutboxMessage => ({
    id: newId(),
    tenantId: tenant,
    userId: newId(),
    kind: 'invitation',
    recipient: 'someone@example.test',
    subject: 'Welcome',
    bodyText: `Your link: https://example.test/set-password#token=${LINK_TOKEN_SLOT}`,
    linkId: newId(),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: at(),
    lockedUntil: null,
    lastError: null,
    createdAt: at(),
    sentAt: null,
    ...changes,
  });

  beforeAll(async () => {
    fixture = await openTestStore(engine);
  });
  afterAll(() => fixture.close());

  it('lists pending messages that are due and not locked', async () => {
    const due = aMessage({ nextAttemptAt: at(1000) });
    const later = aMessage({ nextAttemptAt: at(2000) });
    const locked = aMessage({ nextAttemptAt: at(1000) });
    for (const message of [due, later, locked]) await fixture.store.mail.enqueue(message);
    expect(await fixture.store.mail.claim(locked.id, at(1000), at(1005))).toBe(true);
    const listed = (await fixture.store.mail.listDue(at(1001), 100)).map((message) => message.id);
    expect(listed).toContain(due.id);
    expect(listed).not.toContain(later.id);
    expect(listed).not.toContain(locked.id);
    expect((await fixture.store.mail.listDue(at(1006), 100)).map((message) => message.id)).toContain(locked.id);
  });

  it('lets only one of two workers claim a message', async () => {
    const message = aMessage();
    await fixture.store.mail.enqueue(message);
    const claims = await Promise.all([fixture.store.mail.claim(message.id, at(1), at(5)), fixture.store.mail.claim(message.id, at(1), at(5))]);
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('redacts the body once sent, and counts the attempt', async () => {
    const message = aMessage();
    await fixture.store.mail.enqueue(message);
    await fixture.store.mail.markSent(message.id, at(3));
    const [stored] = (await fixture.store.mail.listForTenant(tenant, { limit: 100 })).filter((item) => item.id === message.id);
    expect(stored).toMatchObject({ status: 'sent', sentAt: at(3), attempts: 1, bodyText: REDACTED_BODY, lockedUntil: null });
  });

  it('records a failed attempt, redacting when it gives up', async () => {
    const message = aMessage();
    await fixture.store.mail.enqueue(message);
    await fixture.store.mail.markAttemptFailed(message.id, { attempts: 1, nextAttemptAt: at(10), status: 'pending', lastError: 'ECONNREFUSED', redact: false });
    let [stored] = (await fixture.store.mail.listForTenant(tenant, { limit: 100 })).filter((item) => item.id === message.id);
    expect(stored).toMatchObject({ attempts: 1, nextAttemptAt: at(10), lastError: 'ECONNREFUSED', bodyText: message.bodyText });
    await fixture.store.mail.markAttemptFailed(message.id, { attempts: 8, nextAttemptAt: at(10), status: 'failed', lastError: 'gave up', redact: true });
    [stored] = (await fixture.store.mail.listForTenant(tenant, { limit: 100 })).filter((item) => item.id === message.id);
    expect(stored).toMatchObject({ status: 'failed', bodyText: REDACTED_BODY });
  });

  it('keeps the link a message carries', async () => {
    const message = aMessage();
    await fixture.store.mail.enqueue(message);
    expect((await fixture.store.mail.listDue(at(1), 1000)).find((item) => item.id === message.id)).toMatchObject({ linkId: message.linkId, bodyText: message.bodyText });
  });

  it('cancels a pending message, redacted, and a late failed attempt does not bring it back', async () => {
    const message = aMessage();
    await fixture.store.mail.enqueue(message);
    await fixture.store.mail.cancel(message.id, 'its link was replaced');
    await fixture.store.mail.markAttemptFailed(message.id, { attempts: 1, nextAttemptAt: at(10), status: 'pending', lastError: 'ECONNREFUSED', redact: false });
    const [stored] = (await fixture.store.mail.listForTenant(tenant, { limit: 100 })).filter((item) => item.id === message.id);
    expect(stored).toMatchObject({ status: 'cancelled', lastError: 'its link was replaced', bodyText: REDACTED_BODY, attempts: 0 });
    expect((await fixture.store.mail.listDue(at(100), 1000)).map((item) => item.id)).not.toContain(message.id);
  });

  it("cancels a user's pending mails of the given kinds in one tenant only, and finds their newest", async () => {
    const userId = newId();
    const thirdTenant = newId();
    const sent = aMessage({ userId });
    const invitation = aMessage({ userId });
    const reset = aMessage({ userId, kind: 'password_reset' });
    const notice = aMessage({ userId, kind: 'account_created', linkId: null, bodyText: 'Welcome' });
    const elsewhere = aMessage({ userId, tenantId: thirdTenant });
    for (const message of [sent, invitation, reset, notice, elsewhere]) await fixture.store.mail.enqueue(message);
    await fixture.store.mail.markSent(sent.id, at(2));

    const cancelled = await fixture.store.mail.cancelPendingForUser(tenant, userId, ['invitation', 'password_reset'], 'handed over');
    expect(cancelled.sort()).toEqual([invitation.id, reset.id].sort());
    const mine = new Map((await fixture.store.mail.listForTenant(tenant, { limit: 100 })).map((item) => [item.id, item]));
    expect(mine.get(notice.id)?.status).toBe('pending');
    expect(mine.get(sent.id)?.status).toBe('sent');
    expect((await fixture.store.mail.listForTenant(thirdTenant, { limit: 100 })).find((item) => item.id === elsewhere.id)?.status).toBe('pending');

    expect((await fixture.store.mail.latestForUser(tenant, userId))?.id).toBe(notice.id);
    expect((await fixture.store.mail.latestForUser(thirdTenant, userId))?.id).toBe(elsewhere.id);
    expect(await fixture.store.mail.latestForUser(newId(), userId)).toBeUndefined();
  });

  it("lists one tenant's messages newest first, never another tenant's", async () => {
    const theirs = aMessage({ tenantId: otherTenant });
    await fixture.store.mail.enqueue(theirs);
    const mine = await fixture.store.mail.listForTenant(tenant, { limit: 100 });
    expect(mine.map((message) => message.id)).not.toContain(theirs.id);
    expect(mine.map((message) => message.id)).toEqual(mine.map((message) => message.id).sort().reverse());
    expect((await fixture.store.mail.listForTenant(otherTenant, { limit: 100 })).map((message) => message.id)).toEqual([theirs.id]);
    const page = await fixture.store.mail.listForTenant(tenant, { limit: 2, before: mine[1]!.id });
    expect(page.map((message) => message.id)).toEqual(mine.slice(2, 4).map((message) => message.id));
  });
});
