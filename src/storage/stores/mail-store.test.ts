import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/ids.ts';
import { REDACTED_BODY, type OutboxMessage } from '../../domain/mail/outbox.ts';
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
    bodyText: 'Your link: https://example.test/set-password#token=secret',
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
