import { setTimeout as sleep } from 'node:timers/promises';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import type { Store } from '../store.ts';
import { hashSecret, newId } from '../ids.ts';
import { defaultAuthenticationSettings } from '../sessions/authentication-policy.ts';
import type { UserService } from '../users/user-service.ts';
import { normalizeEmail } from '../users/user.ts';
import { currentRecord, lockOf, withFailure, type DetectorSettings, type FailureRecord, type Lock } from './brute-force-detector.ts';
import type { ThrottleRecord } from './login-throttle.ts';
import { issueDeviceToken, trustedDeviceKey } from './trusted-device.ts';

export interface AttemptOrigin {
  ip: string | null;
  userAgent: string | null;
  /** The trusted-device cookie the browser sent, if any. */
  deviceToken?: string;
}

type CounterRole = 'ip' | 'account' | 'device' | 'credential';
type Counter = [key: string, role: CounterRole, detector: DetectorSettings];

/**
 * One authentication attempt (a password, a TOTP code, a recovery code, a link). When
 * `allowed`, it holds a place on its counters while its secret is checked, and the caller
 * must end it with exactly one of `succeeded` or `failed`.
 */
export interface Attempt {
  allowed: boolean;
  /** The counters that refused it. */
  lockedBy: CounterRole[];
  trustedDevice: boolean;
  accountKey: string;
  /** Names its places on the counters while it is checked. */
  id: string;
  /** When refused: the epoch milliseconds at which the counters that refused it let an attempt through again (a guess for a queue that timed out). */
  retryAt?: number;
  /** The counters it is counted on (none when refused). */
  counters: Counter[];
}

export interface LockoutView {
  userId: string;
  failures: number;
  lastFailureAt: string | null;
  state: 'open' | 'waiting' | 'locked';
  /** While waiting: when the next attempt is counted again. */
  until: string | null;
}

const PRUNE_INTERVAL_MS = 3_600_000;
/** How long an attempt's place lasts if its node never reports back (it crashed): far beyond any check of a secret. */
const IN_FLIGHT_LEASE_MS = 30_000;
/** How long an attempt queues behind attempts in flight before it is refused as throttled. */
const MAX_QUEUE_MS = 10_000;

/**
 * Self-service password reset requests (POST /auth/forgot-password), counted on counters of
 * their own (`reset-request:…`), so asking for mails never locks anyone out of signing in.
 * Every request counts, known email or not: per account (the email's hash), 3 at once, then
 * one per 15 minutes (longer as they go on, at most an hour); per source address, 10 at once,
 * then one a minute (at most one per 15 minutes). An hour without requests starts them again.
 */
/**
 * Self-service reset requests: tight per account *and* address (a person retrying), loose per
 * account across addresses (a mailbox flooded from many), and per address (one sender spraying
 * emails). The tight limit isn't per account alone: a stranger could otherwise keep anyone from
 * resetting with one request an hour (the security review of the forgot-password route).
 */
export const RESET_REQUEST_LIMITS = {
  accountFromAddress: { failureFactor: 3, waitIncrement: 15 * 60_000, maxWait: 60 * 60_000, failureResetTime: 60 * 60_000 },
  account: { failureFactor: 20, waitIncrement: 60 * 60_000, maxWait: 6 * 60 * 60_000, failureResetTime: 24 * 60 * 60_000 },
  ip: { failureFactor: 10, waitIncrement: 60_000, maxWait: 15 * 60_000, failureResetTime: 60 * 60_000 },
} as const satisfies Record<'accountFromAddress' | 'account' | 'ip', DetectorSettings>;

/**
 * The brute-force detector around every secret a user presents to sign in: counted per
 * account and per source address (or, from a trusted device, per device), in the
 * database, so limits hold across nodes.
 *
 * Only a wrong secret counts as a failure, and it is counted exactly. Parallel attempts
 * can't slip past the limit between check and count: an attempt is let through to be
 * checked only if the counters would still be open were every attempt in flight on them
 * to fail (decided in a transaction that locks the counters, which then records its place).
 * One that doesn't fit queues until those are judged: right ones give their place back and
 * let it through, wrong ones count and may lock it out, exactly as one after the other.
 */
export class LoginThrottle {
  readonly #context: DomainContext;
  readonly #users: UserService;
  #lastPrune = 0;

  constructor(context: DomainContext, users: UserService) {
    this.#context = context;
    this.#users = users;
  }

  get #settings() {
    return (this.#context.settings.authentication ?? defaultAuthenticationSettings).bruteForce;
  }

  accountKey(email: string): string {
    return `account:${hashSecret(normalizeEmail(email))}`;
  }

  /** Counts an attempt on the account `email` (known or not) from `origin`, or refuses it. */
  async begin(email: string, userId: string | undefined, origin: AttemptOrigin): Promise<Attempt> {
    const now = this.#context.clock.now().getTime();
    await this.#pruneNow(now);
    const settings = this.#settings;
    const masterKey = this.#context.masterKey?.status === 'ready' ? this.#context.masterKey.key : undefined;
    const deviceKey = userId && masterKey ? trustedDeviceKey(masterKey, origin.deviceToken, userId, now, settings.trustedDeviceLifetime) : undefined;
    const untrusted: Counter[] = [[this.accountKey(email), 'account', settings.account]];
    if (origin.ip) untrusted.push([`ip:${origin.ip}`, 'ip', settings.ip]);
    const device: Counter | undefined = deviceKey ? [deviceKey, 'device', settings.account] : undefined;
    return this.#count(untrusted, device);
  }

  /**
   * Counts an attempt that names no account (redeeming a one-time link): per source address
   * only. End it with `succeeded(attempt, true)` when the secret was right, `failed` when not.
   */
  async beginFromAddress(origin: Pick<AttemptOrigin, 'ip'>): Promise<Attempt> {
    if (!origin.ip) return { allowed: true, lockedBy: [], trustedDevice: false, accountKey: '', id: newId(), counters: [] };
    return this.#count([[`ip:${origin.ip}`, 'ip', this.#settings.ip]], undefined, '');
  }

  /**
   * Counts a request for a password reset mail for `email` (known or not) from `origin`, on
   * the reset-request counters (RESET_REQUEST_LIMITS), or refuses it with the time to wait.
   * Each request counts whatever it leads to: a mail costs the same to send either way. A
   * refused one names its `window` (see firstRefusalIn).
   */
  async countResetRequest(email: string, origin: Pick<AttemptOrigin, 'ip'>): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number; window: string }> {
    const account = `reset-request:${this.accountKey(email)}`;
    // Without a source address (no socket address at all), the tight limit falls on the account alone.
    const counters: Counter[] = origin.ip
      ? [
          [`${account}:from:${origin.ip}`, 'account', RESET_REQUEST_LIMITS.accountFromAddress],
          [account, 'account', RESET_REQUEST_LIMITS.account],
          [`reset-request:ip:${origin.ip}`, 'ip', RESET_REQUEST_LIMITS.ip],
        ]
      : [[account, 'account', RESET_REQUEST_LIMITS.accountFromAddress]];
    const attempt = await this.#count(counters, undefined);
    if (!attempt.allowed) {
      const now = this.#context.clock.now().getTime();
      return { allowed: false, retryAfterMs: Math.max(0, (attempt.retryAt ?? 0) - now), window: await this.#refusalWindow(counters, now) };
    }
    await this.failed(attempt);
    return { allowed: true };
  }

  /**
   * The window a refused reset request falls in: the counters refusing it, each with the failure
   * that started its wait. A refused request counts on none of them, so every request refused
   * until the wait ends names the same window, and the first one after it a new one. (Refused
   * after queueing, with no counter waiting: a window of the counters and the minute.)
   */
  async #refusalWindow(counters: Counter[], now: number): Promise<string> {
    const records = new Map((await this.#context.store.loginThrottle.get(counters.map(([key]) => key))).map((record) => [record.key, record]));
    const waiting = counters
      .filter(([key, , detector]) => lockOf(records.get(key), detector, now).kind !== 'none')
      .map(([key, , detector]) => `${key}@${currentRecord(records.get(key), detector, now).lastFailureAt}`)
      .sort();
    const window = waiting.length > 0 ? waiting.join(' ') : `${counters.map(([key]) => key).join(' ')}@queued:${Math.floor(now / 60_000)}`;
    return `reset-refusals:${hashSecret(window)}`;
  }

  /**
   * Whether this is the first refused reset request of its `window` (countResetRequest's), marking
   * the window in the caller's transaction, which audits that first one: a stranger repeating a
   * refused request can't grow the audit trail, which keeps one event per window saying who was
   * refused until when. The mark is pruned with the counters.
   */
  async firstRefusalIn(store: Store, window: string): Promise<boolean> {
    const [mark] = await store.loginThrottle.lock([window]);
    if (mark && mark.failures > 0) return false;
    await store.loginThrottle.save({ key: window, failures: 1, lastFailureAt: this.#context.clock.now().toISOString() });
    return true;
  }

  /**
   * Counts a password typed to confirm a change inside a session (enable or disable 2FA,
   * new recovery codes, password change): per session or token, not per account, so
   * someone guessing a signed-in user's password can't lock them out of signing in.
   */
  async beginConfirmation(actor: Pick<Actor, 'userId' | 'sessionId' | 'tokenId'>, email: string): Promise<Attempt> {
    const credential = actor.sessionId ? `session:${actor.sessionId}` : actor.tokenId ? `token:${actor.tokenId}` : `user:${actor.userId}`;
    return this.#count([[`confirm:${credential}`, 'credential', this.#settings.account]], undefined, this.accountKey(email));
  }

  async #count(untrusted: Counter[], device: Counter | undefined, accountKey = untrusted[0]![0]): Promise<Attempt> {
    const queuedSince = performance.now();
    for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
      const decision = await this.#decide(untrusted, device, accountKey);
      if (!('queueBehind' in decision)) return decision;
      // Still undecided after the queue's limit (a node stopped answering for its attempts): refused, as throttled.
      if (performance.now() - queuedSince >= MAX_QUEUE_MS) return { allowed: false, lockedBy: decision.queueBehind, trustedDevice: decision.trustedDevice, accountKey, id: '', counters: [], retryAt: this.#context.clock.now().getTime() + 1000 };
      await sleep(pause);
    }
  }

  /** Lets the attempt through (taking its places), refuses it, or says which counters it must queue behind. */
  async #decide(untrusted: Counter[], device: Counter | undefined, accountKey: string): Promise<Attempt | { queueBehind: CounterRole[]; trustedDevice: boolean }> {
    const now = this.#context.clock.now().getTime();
    return this.#context.store.transaction(async (store) => {
      const keys = [...untrusted, ...(device ? [device] : [])].map(([key]) => key);
      const records = new Map((await store.loginThrottle.lock(keys)).map((record) => [record.key, record]));
      const inFlight = await store.loginThrottle.countInFlight(keys, new Date(now).toISOString());
      const lockFor = ([key, , detector]: Counter): Lock => lockOf(records.get(key), detector, now);
      const lockIfAllFail = ([key, , detector]: Counter): Lock => {
        let record: FailureRecord = currentRecord(records.get(key), detector, now);
        for (let index = 0; index < (inFlight.get(key) ?? 0); index++) record = withFailure(record, detector, now);
        return lockOf(record, detector, now);
      };
      // A trusted device is counted on its own; once it fails too often it is just another browser.
      const trustedDevice = device !== undefined && lockFor(device).kind === 'none';
      const counters = trustedDevice ? [device] : untrusted;
      const locking = counters.filter((counter) => lockFor(counter).kind !== 'none');
      if (locking.length > 0) {
        // A hard lock lifts only by hand: its counter's reset time is as good a wait as any.
        const retryAt = Math.max(...locking.map((counter) => lockFor(counter)).map((lock, index) => (lock.kind === 'wait' ? lock.until : now + locking[index]![2].failureResetTime)));
        return { allowed: false, lockedBy: locking.map(([, role]) => role), trustedDevice, accountKey, id: '', counters: [], retryAt };
      }
      const queueBehind = counters.filter((counter) => lockIfAllFail(counter).kind !== 'none').map(([, role]) => role);
      if (queueBehind.length > 0) return { queueBehind, trustedDevice };
      const id = newId();
      await store.loginThrottle.addInFlight(id, counters.map(([key]) => key), new Date(now + IN_FLIGHT_LEASE_MS).toISOString());
      return { allowed: true, lockedBy: [], trustedDevice, accountKey, id, counters };
    });
  }

  /** The secret was wrong: one failure on each of the attempt's counters, and its places given up, at once. */
  async failed(attempt: Attempt): Promise<void> {
    if (!attempt.allowed) return;
    const now = this.#context.clock.now().getTime();
    await this.#context.store.transaction(async (store) => {
      const records = new Map((await store.loginThrottle.lock(attempt.counters.map(([key]) => key))).map((record) => [record.key, record]));
      for (const [key, , detector] of attempt.counters) await store.loginThrottle.save({ key, ...withFailure(records.get(key), detector, now) });
      await store.loginThrottle.removeInFlight(attempt.id);
    });
  }

  /**
   * The secret was right, or not judged at all (nothing to count): the attempt gives up its
   * places. `complete`: the sign-in is done, so the account's and device's consecutive
   * failures end too (the address keeps its count). Otherwise (a right password with the
   * second factor still to come) the counters stay as they are.
   */
  async succeeded(attempt: Attempt, complete: boolean): Promise<void> {
    if (!attempt.allowed) return;
    await this.#context.store.transaction(async (store) => {
      if (complete) {
        // A completed sign-in ends the account's run of consecutive failures, from whichever browser it came.
        if (attempt.counters.some(([, role]) => role === 'account' || role === 'device')) await store.loginThrottle.delete(attempt.accountKey);
        for (const [key, role] of attempt.counters) if (role !== 'ip') await store.loginThrottle.delete(key);
      }
      await store.loginThrottle.removeInFlight(attempt.id);
    });
  }

  /** A signed cookie value that marks this browser as one the user signed in from; undefined without a master key. */
  issueDeviceToken(userId: string): string | undefined {
    const masterKey = this.#context.masterKey;
    if (masterKey?.status !== 'ready') return undefined;
    return issueDeviceToken(masterKey.key, userId, this.#context.clock.now().getTime());
  }

  get trustedDeviceLifetime(): number {
    return this.#settings.trustedDeviceLifetime;
  }

  /** The account lock of a user, for admins (ManageUsers in the user's home tenant). */
  async lockout(actor: Actor, userId: string): Promise<LockoutView> {
    const user = await this.#users.loadManageable(actor, userId);
    const [record] = await this.#context.store.loginThrottle.get([this.accountKey(user.email)]);
    return this.#view(user.id, record);
  }

  /** Lifts a user's account lock, hard lock included. Audited. */
  async unlock(actor: Actor, userId: string): Promise<LockoutView> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.#users.loadForAccountChange(actor, userId, store);
      const key = this.accountKey(user.email);
      const [before] = await store.loginThrottle.get([key]);
      await store.loginThrottle.delete(key);
      // The account's reset-request counter too: an unlock lets the user ask for a reset mail again.
      await store.loginThrottle.delete(`reset-request:${key}`);
      await recordAudit(this.#context, store, actor, {
        category: 'auth',
        action: 'login.unlocked',
        subjectType: 'user',
        subjectId: user.id,
        detail: { failuresBefore: before?.failures ?? 0 },
      });
      return this.#view(user.id, undefined);
    });
  }

  #view(userId: string, record: ThrottleRecord | undefined): LockoutView {
    const now = this.#context.clock.now().getTime();
    const detector = this.#settings.account;
    const current = currentRecord(record, detector, now);
    const lock = lockOf(record, detector, now);
    return {
      userId,
      failures: current.failures,
      lastFailureAt: current.lastFailureAt,
      state: lock.kind === 'hard' ? 'locked' : lock.kind === 'wait' ? 'waiting' : 'open',
      until: lock.kind === 'wait' ? new Date(lock.until).toISOString() : null,
    };
  }

  async #pruneNow(now: number): Promise<void> {
    if (now - this.#lastPrune < PRUNE_INTERVAL_MS) return;
    this.#lastPrune = now;
    const { account, ip } = this.#settings;
    // Never before a reset-request counter's own reset time either, however short the sign-in ones are set.
    const resetTimes = [account, ip, RESET_REQUEST_LIMITS.account, RESET_REQUEST_LIMITS.ip].map((detector) => detector.failureResetTime);
    const before = new Date(now - Math.max(...resetTimes)).toISOString();
    await this.#context.store.loginThrottle.prune(before, account.maxConsecutiveFailures);
    await this.#context.store.loginThrottle.pruneInFlight(new Date(now).toISOString());
    await this.#context.store.loginChallenges.deleteExpired(new Date(now).toISOString());
  }
}
