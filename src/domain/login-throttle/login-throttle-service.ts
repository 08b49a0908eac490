import { recordAudit } from '../audit/audit-log.ts';
import type { Actor, DomainContext } from '../context.ts';
import { hashSecret } from '../ids.ts';
import type { Store } from '../store.ts';
import { defaultAuthenticationSettings } from '../sessions/authentication-policy.ts';
import type { UserService } from '../users/user-service.ts';
import { normalizeEmail } from '../users/user.ts';
import { currentRecord, lockOf, NO_FAILURES, withFailure, type DetectorSettings, type FailureRecord, type Lock } from './brute-force-detector.ts';
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

interface Receipt {
  key: string;
  role: CounterRole;
  before: FailureRecord;
  after: FailureRecord;
}

/** One authentication attempt (a password, a TOTP code, a recovery code), counted before it is checked. */
export interface Attempt {
  allowed: boolean;
  /** The counters that refused it. */
  lockedBy: CounterRole[];
  trustedDevice: boolean;
  accountKey: string;
  receipts: Receipt[];
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

/**
 * The brute-force detector around every secret a user presents to sign in: counted per
 * account and per source address (or, from a trusted device, per device), in the
 * database, so limits hold across nodes.
 *
 * An attempt is counted as a failure *before* the secret is checked (inside a transaction
 * that locks the counters), and given back when it turns out right: of any number of
 * parallel guesses, no more get checked than the detector allows.
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
    return this.#count(untrusted, device, now);
  }

  /**
   * Counts an attempt that names no account (redeeming a one-time link): per source address
   * only. Call `succeeded(attempt, true)` when the secret was right.
   */
  async beginFromAddress(origin: Pick<AttemptOrigin, 'ip'>): Promise<Attempt> {
    const now = this.#context.clock.now().getTime();
    if (!origin.ip) return { allowed: true, lockedBy: [], trustedDevice: false, accountKey: '', receipts: [] };
    return this.#count([[`ip:${origin.ip}`, 'ip', this.#settings.ip]], undefined, now, '');
  }

  /**
   * Counts a password typed to confirm a change inside a session (enable or disable 2FA,
   * new recovery codes, password change): per session or token, not per account, so
   * someone guessing a signed-in user's password can't lock them out of signing in.
   */
  async beginConfirmation(actor: Pick<Actor, 'userId' | 'sessionId' | 'tokenId'>, email: string): Promise<Attempt> {
    const now = this.#context.clock.now().getTime();
    const credential = actor.sessionId ? `session:${actor.sessionId}` : actor.tokenId ? `token:${actor.tokenId}` : `user:${actor.userId}`;
    return this.#count([[`confirm:${credential}`, 'credential', this.#settings.account]], undefined, now, this.accountKey(email));
  }

  async #count(untrusted: Counter[], device: Counter | undefined, now: number, accountKey = untrusted[0]![0]): Promise<Attempt> {
    return this.#context.store.transaction(async (store) => {
      const records = new Map((await store.loginThrottle.lock([...untrusted, ...(device ? [device] : [])].map(([key]) => key))).map((record) => [record.key, record]));
      const lockFor = ([key, , detector]: Counter): Lock => lockOf(records.get(key), detector, now);
      // A trusted device is counted on its own; once it fails too often it is just another browser.
      const trustedDevice = device !== undefined && lockFor(device).kind === 'none';
      const counters = trustedDevice ? [device] : untrusted;
      const lockedBy = counters.filter((counter) => lockFor(counter).kind !== 'none').map(([, role]) => role);
      if (lockedBy.length > 0) return { allowed: false, lockedBy, trustedDevice, accountKey, receipts: [] };
      const receipts: Receipt[] = [];
      for (const [key, role, detector] of counters) {
        const before = currentRecord(records.get(key), detector, now);
        const after = withFailure(records.get(key), detector, now);
        await store.loginThrottle.save({ key, ...after });
        receipts.push({ key, role, before, after });
      }
      return { allowed: true, lockedBy: [], trustedDevice, accountKey, receipts };
    });
  }

  /**
   * The secret was right. `complete`: the sign-in is done, so the account's and device's
   * consecutive failures end (the address keeps its count, less this attempt). Otherwise
   * (a right password with the second factor still to come) only this attempt is given back.
   */
  async succeeded(attempt: Attempt, complete: boolean): Promise<void> {
    if (!attempt.allowed) return;
    await this.#context.store.transaction(async (store) => {
      // A completed sign-in ends the account's run of consecutive failures, from whichever browser it came.
      if (complete && attempt.receipts.some((receipt) => receipt.role === 'account' || receipt.role === 'device')) await store.loginThrottle.delete(attempt.accountKey);
      for (const receipt of attempt.receipts) {
        if (complete && receipt.role !== 'ip') {
          await store.loginThrottle.delete(receipt.key);
          continue;
        }
        const [record] = await store.loginThrottle.lock([receipt.key]);
        await giveBack(store, receipt, record);
      }
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
      const user = await this.#users.loadManageable(actor, userId, store);
      const key = this.accountKey(user.email);
      const [before] = await store.loginThrottle.get([key]);
      await store.loginThrottle.delete(key);
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
    const before = new Date(now - Math.max(account.failureResetTime, ip.failureResetTime)).toISOString();
    await this.#context.store.loginThrottle.prune(before, account.maxConsecutiveFailures);
    await this.#context.store.loginChallenges.deleteExpired(new Date(now).toISOString());
  }
}

/** Takes back one counted failure: exactly, when nothing was counted since; else conservatively (the count drops, the time stays). */
async function giveBack(store: Store, receipt: Receipt, record: ThrottleRecord | undefined): Promise<void> {
  if (!record) return;
  const untouched = record.failures === receipt.after.failures && record.lastFailureAt === receipt.after.lastFailureAt;
  const next = untouched ? receipt.before : { failures: Math.max(0, record.failures - 1), lastFailureAt: record.lastFailureAt };
  if (next.failures <= 0) await store.loginThrottle.delete(receipt.key);
  else await store.loginThrottle.save({ key: receipt.key, ...(next.lastFailureAt === null ? NO_FAILURES : next) });
}
