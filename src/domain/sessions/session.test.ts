import { describe, expect, it } from 'vitest';
import { sessionDeadline } from './session.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const start = Date.UTC(2026, 0, 1);
const iso = (offset: number) => new Date(start + offset).toISOString();

/** Signed in at `start` with the default 8 hours idle / 7 days absolute, last seen `lastSeen` later. */
const session = (lastSeen: number, expiresAt = 7 * DAY) => ({ createdAt: iso(0), lastSeenAt: iso(lastSeen), expiresAt: iso(expiresAt) });
const defaults = { idleTimeout: 8 * HOUR, absoluteTimeout: 7 * DAY };

describe('sessionDeadline', () => {
  it('ends a session unused for the idle timeout, at that instant and not before', () => {
    expect(sessionDeadline(session(HOUR), defaults, start + 9 * HOUR - 1)).toMatchObject({ expired: false, expiresAt: start + 9 * HOUR, reason: 'idle timeout' });
    expect(sessionDeadline(session(HOUR), defaults, start + 9 * HOUR)).toMatchObject({ expired: true, reason: 'idle timeout' });
  });

  it('ends a busy session at the absolute timeout', () => {
    const busy = session(7 * DAY - MINUTE);
    expect(sessionDeadline(busy, defaults, start + 7 * DAY - 1)).toMatchObject({ expired: false, expiresAt: start + 7 * DAY, reason: 'absolute timeout' });
    expect(sessionDeadline(busy, defaults, start + 7 * DAY)).toMatchObject({ expired: true, reason: 'absolute timeout' });
  });

  it('applies a shortened absolute timeout to a session opened under the longer one', () => {
    const deadline = sessionDeadline(session(HOUR), { idleTimeout: 8 * HOUR, absoluteTimeout: 2 * HOUR }, start + 2 * HOUR);
    expect(deadline).toMatchObject({ expired: true, absoluteExpiresAt: start + 2 * HOUR, reason: 'absolute timeout' });
  });

  it("keeps the end fixed at login: the identity provider's cap for single sign-on, or a longer timeout set later", () => {
    const capped = session(10 * MINUTE, 30 * MINUTE);
    expect(sessionDeadline(capped, defaults, start + 29 * MINUTE)).toMatchObject({ expired: false, expiresAt: start + 30 * MINUTE, idleExpiresAt: start + 8 * HOUR + 10 * MINUTE });
    expect(sessionDeadline(capped, { idleTimeout: 8 * HOUR, absoluteTimeout: 30 * DAY }, start + 30 * MINUTE)).toMatchObject({ expired: true, reason: 'absolute timeout' });
  });
});
