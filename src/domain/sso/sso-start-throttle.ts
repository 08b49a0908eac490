import type { DomainContext } from '../context.ts';
import { SSO_LOGIN_STATE_LIFETIME_MS } from './sso-login-state.ts';

/** Sign-ins one address may start and leave unfinished per window; each stores a login state row. */
export const SSO_STARTS_PER_ADDRESS = 30;
/** As long as a login state lives: an address holds at most twice the limit in unexpired rows. */
const WINDOW_MS = SSO_LOGIN_STATE_LIFETIME_MS;

export type StartDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Sign-ins started from one address and not yet finished, counted in a fixed window in the
 * login-throttle table (`sso-start:<address>`; the counter is locked in its transaction, so
 * every node sharing the database counts every start). The record's `failures` is the count
 * and its `lastFailureAt` the window's start.
 *
 * Not the brute-force detector the other counters use: it makes each attempt past its
 * failure factor wait after the *last* one, which would hold a busy shared address (an
 * office behind one NAT) to one start a minute. A start whose browser comes back with its
 * state is given back, so only abandoned ones add up.
 */
export class SsoStartThrottle {
  readonly #context: DomainContext;

  constructor(context: DomainContext) {
    this.#context = context;
  }

  /** Counts a start from `ip`, or refuses it (nothing counted) when the address has reached the limit. */
  async count(ip: string | null): Promise<StartDecision> {
    if (!ip) return { allowed: true };
    const key = keyOf(ip);
    const now = this.#context.clock.now().getTime();
    return this.#context.store.transaction(async (store) => {
      const [record] = await store.loginThrottle.lock([key]);
      const windowStart = windowStartOf(record?.lastFailureAt ?? null, now);
      if (windowStart === undefined) {
        await store.loginThrottle.save({ key, failures: 1, lastFailureAt: new Date(now).toISOString() });
        return { allowed: true };
      }
      if (record!.failures >= SSO_STARTS_PER_ADDRESS) return { allowed: false, retryAfterMs: windowStart + WINDOW_MS - now };
      await store.loginThrottle.save({ key, failures: record!.failures + 1, lastFailureAt: record!.lastFailureAt });
      return { allowed: true };
    });
  }

  /** A start was not stored after all, or its browser came back with its state: it no longer counts against `ip`. */
  async giveBack(ip: string | null): Promise<void> {
    if (!ip) return;
    const key = keyOf(ip);
    const now = this.#context.clock.now().getTime();
    await this.#context.store.transaction(async (store) => {
      const [record] = await store.loginThrottle.lock([key]);
      if (!record || windowStartOf(record.lastFailureAt, now) === undefined || record.failures <= 1) await store.loginThrottle.delete(key);
      else await store.loginThrottle.save({ key, failures: record.failures - 1, lastFailureAt: record.lastFailureAt });
    });
  }
}

const keyOf = (ip: string) => `sso-start:${ip}`;

/** The start of the window in progress at `now`, if any. */
function windowStartOf(lastFailureAt: string | null, now: number): number | undefined {
  if (lastFailureAt === null) return undefined;
  const start = Date.parse(lastFailureAt);
  return Number.isFinite(start) && start <= now && now - start < WINDOW_MS ? start : undefined;
}
