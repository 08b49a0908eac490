import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorizationFacts } from '../access/authorization-facts.ts';
import type { Actor, DomainContext } from '../context.ts';
import { newId } from '../ids.ts';
import type { LoginThrottle } from '../login-throttle/login-throttle-service.ts';
import type { AuthenticationPolicyService } from '../sessions/authentication-policy-service.ts';
import type { Store } from '../store.ts';
import { verifyAgainstDecoy, verifyPassword } from '../users/passwords.ts';
import type { StoredUser } from '../users/user.ts';
import type { UserService } from '../users/user-service.ts';
import { qrCodeOf } from './qr-code.ts';
import { generateRecoveryCode, hashRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.ts';
import { seal, SealedSecretError, unseal, type MasterKey } from './secret-box.ts';
import { base32Of, matchTotp, newTotpSecret, otpauthUri, TOTP_PARAMETERS } from './totp.ts';
import type { TwoFactorRecord, TwoFactorStatus } from './two-factor.ts';
import { fail } from '../error-catalogue.ts';

/** How long an enrolment may wait for its confirming code. */
export const ENROLLMENT_LIFETIME_MS = 15 * 60_000;

export interface TwoFactorStatusView {
  enabled: boolean;
  enabledAt: string | null;
  /** An enrolment was started and awaits its confirming code. */
  enrollmentPending: boolean;
  recoveryCodesRemaining: number;
  /** The user must have 2FA: a Require 2FA policy (global, home tenant, or the tenant of this request), or an admin's reset. */
  required: boolean;
  /** An admin reset the user's 2FA and they haven't enrolled again yet: held to enrol whatever the policy. */
  reenrolmentRequired: boolean;
}

export interface EnrollmentStart {
  /** Base32, for typing into an app by hand. */
  secret: string;
  otpauthUri: string;
  qrCode: { dataUrl: string; svg: string };
  algorithm: string;
  digits: number;
  period: number;
  expiresAt: string;
}

export type SecondFactor = { code: string } | { recoveryCode: string };

const codeInvalid = () => fail('TWO_FACTOR_CODE_INVALID');

/**
 * TOTP two-factor authentication: self-service enrolment (confirmed with a code and the
 * current password), recovery codes, admin reset, and the check of a second factor at sign-in.
 */
export class TwoFactorService {
  readonly #context: DomainContext;
  readonly #users: UserService;
  readonly #policy: AuthenticationPolicyService;
  readonly #throttle: LoginThrottle;

  constructor(context: DomainContext, users: UserService, policy: AuthenticationPolicyService, throttle: LoginThrottle) {
    this.#context = context;
    this.#users = users;
    this.#policy = policy;
    this.#throttle = throttle;
  }

  async status(actor: Actor): Promise<TwoFactorStatusView> {
    const { store, clock } = this.#context;
    const [{ record, reenrolmentRequiredAt }, requiredByPolicy] = await Promise.all([store.twoFactor.getState(actor.userId), this.#policy.requiresTwoFactor([actor.homeTenantId, actor.tenantId])]);
    const enabled = record?.status === 'enabled';
    const reenrolmentRequired = !enabled && reenrolmentRequiredAt !== null;
    return {
      enabled,
      enabledAt: enabled ? record.enabledAt : null,
      enrollmentPending: record?.status === 'pending' && clock.now().getTime() < Date.parse(record.createdAt) + ENROLLMENT_LIFETIME_MS,
      recoveryCodesRemaining: enabled ? await store.twoFactor.countUnusedRecoveryCodes(actor.userId) : 0,
      required: requiredByPolicy || reenrolmentRequired,
      reenrolmentRequired,
    };
  }

  /**
   * Whether the user must enrol before doing anything else: no 2FA, and a policy requires it or
   * an admin reset it (the seed: "the user then re-enrolls at next login").
   */
  async enrollmentRequired(userId: string, tenantIds: string[], store: Store = this.#context.store): Promise<boolean> {
    // Both reads at once: this runs on every request, and a round trip costs more than a read.
    const [{ record, reenrolmentRequiredAt }, required] = await Promise.all([store.twoFactor.getState(userId), this.#policy.requiresTwoFactor(tenantIds, store)]);
    return mustEnrol(record?.status ?? null, reenrolmentRequiredAt, required);
  }

  /** The same as `enrollmentRequired`, from what the request's authorization already read. */
  enrollmentRequiredFrom(facts: AuthorizationFacts, actingTenantSlug: string | null): boolean {
    const { policies } = facts;
    const required = this.#policy.requiresTwoFactorFrom(policies.global, [
      { slug: facts.homeTenantSlug, record: policies.home },
      { slug: actingTenantSlug, record: policies.acting },
    ]);
    return mustEnrol(facts.twoFactorStatus, facts.twoFactorReenrolmentRequiredAt, required);
  }

  async isEnabled(userId: string, store: Store = this.#context.store): Promise<boolean> {
    return (await store.twoFactor.get(userId))?.status === 'enabled';
  }

  /** Step 1: a new secret, as an otpauth URI and a QR code. 2FA is not on until confirmed. */
  async startEnrollment(actor: Actor): Promise<EnrollmentStart> {
    const key = this.#key();
    const user = await this.#self(actor);
    const secret = newTotpSecret();
    const now = this.#context.clock.now();
    const record: TwoFactorRecord = {
      userId: user.id,
      status: 'pending',
      secretCiphertext: seal(key, secret, user.id),
      secretKeyId: key.id,
      createdAt: now.toISOString(),
      enabledAt: null,
      lastUsedStep: null,
    };
    await this.#context.store.transaction(async (store) => {
      if (!(await store.twoFactor.savePending(record))) {
        throw fail('TWO_FACTOR_ALREADY_ENABLED');
      }
      await recordAudit(this.#context, store, actor, { tenantId: user.homeTenantId, category: 'auth', action: 'two_factor.enrollment_started', subjectType: 'user', subjectId: user.id });
    });
    const uri = otpauthUri(secret, this.#policy.settings.twoFactorIssuer, user.email);
    return {
      secret: base32Of(secret),
      otpauthUri: uri,
      qrCode: await qrCodeOf(uri),
      ...TOTP_PARAMETERS,
      expiresAt: new Date(now.getTime() + ENROLLMENT_LIFETIME_MS).toISOString(),
    };
  }

  /** Step 2: a code from the app and the current password turn 2FA on; the recovery codes are shown this once. */
  async confirmEnrollment(actor: Actor, input: { code: string; currentPassword: string }): Promise<{ enabled: true; recoveryCodes: string[]; endedSessions: number }> {
    const key = this.#key();
    const user = await this.#self(actor);
    await this.#confirmPassword(actor, user, input.currentPassword);
    const { store, clock } = this.#context;
    const now = clock.now();
    const { record, reenrolmentRequiredAt } = await store.twoFactor.getState(user.id);
    if (record?.status === 'enabled') throw fail('TWO_FACTOR_ALREADY_ENABLED');
    if (!record || now.getTime() >= Date.parse(record.createdAt) + ENROLLMENT_LIFETIME_MS) {
      throw fail('TWO_FACTOR_ENROLLMENT_NOT_STARTED');
    }
    const step = matchTotp(this.#unseal(key, record), input.code, now.getTime());
    if (step === null) throw fail('TWO_FACTOR_CODE_MISMATCH');
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
    const endedSessions = await store.transaction(async (tx) => {
      if (!(await tx.twoFactor.enable(user.id, now.toISOString(), step))) {
        throw fail('TWO_FACTOR_ENROLLMENT_NOT_STARTED');
      }
      await tx.twoFactor.replaceRecoveryCodes(user.id, this.#recoveryRecords(user.id, recoveryCodes, now.toISOString()));
      // The enrolment an admin's reset asked for is done.
      if (reenrolmentRequiredAt !== null) await tx.twoFactor.setReenrolmentRequired(user.id, null);
      // Sessions opened without the second factor don't outlive turning it on.
      const ended = await tx.sessions.endAllForUser(user.id, now.toISOString(), 'two-factor enabled', actor.sessionId ?? undefined);
      await recordAudit(this.#context, tx, actor, {
        tenantId: user.homeTenantId,
        category: 'auth',
        action: 'two_factor.enabled',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { twoFactor: false }, after: { twoFactor: true } },
        detail: { recoveryCodes: recoveryCodes.length, endedSessions: ended, ...(reenrolmentRequiredAt !== null ? { reenrolmentAfterResetAt: reenrolmentRequiredAt } : {}) },
      });
      return ended;
    });
    return { enabled: true, recoveryCodes, endedSessions };
  }

  /** Turns 2FA off (current password required); other sessions end. */
  async disable(actor: Actor, input: { currentPassword: string }): Promise<{ enabled: false; endedSessions: number }> {
    const user = await this.#self(actor);
    await this.#confirmPassword(actor, user, input.currentPassword);
    const now = this.#context.clock.now().toISOString();
    const endedSessions = await this.#context.store.transaction(async (store) => {
      if (!(await store.twoFactor.delete(user.id))) throw fail('TWO_FACTOR_NOT_ENABLED');
      const ended = await store.sessions.endAllForUser(user.id, now, 'two-factor disabled', actor.sessionId ?? undefined);
      await recordAudit(this.#context, store, actor, {
        tenantId: user.homeTenantId,
        category: 'auth',
        action: 'two_factor.disabled',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { twoFactor: true }, after: { twoFactor: false } },
        detail: { endedSessions: ended },
      });
      return ended;
    });
    return { enabled: false, endedSessions };
  }

  /** A new set of recovery codes (current password required); the old set stops working. */
  async regenerateRecoveryCodes(actor: Actor, input: { currentPassword: string }): Promise<{ recoveryCodes: string[] }> {
    const user = await this.#self(actor);
    await this.#confirmPassword(actor, user, input.currentPassword);
    const now = this.#context.clock.now().toISOString();
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
    await this.#context.store.transaction(async (store) => {
      if (!(await this.isEnabled(user.id, store))) throw fail('TWO_FACTOR_NOT_ENABLED');
      await store.twoFactor.replaceRecoveryCodes(user.id, this.#recoveryRecords(user.id, recoveryCodes, now));
      await recordAudit(this.#context, store, actor, {
        tenantId: user.homeTenantId,
        category: 'auth',
        action: 'two_factor.recovery_codes_regenerated',
        subjectType: 'user',
        subjectId: user.id,
        detail: { recoveryCodes: recoveryCodes.length },
      });
    });
    return { recoveryCodes };
  }

  /**
   * Admin → Edit → Reset 2FA: removes the user's TOTP and recovery codes (ManageUsers in the
   * user's home tenant) and, when they had 2FA, holds them to enrol again — at their next
   * sign-in and on every request of a session or token they already hold, exactly as Require
   * 2FA holds a user without 2FA, whatever the policy says. Sessions and tokens don't end.
   */
  async reset(actor: Actor, userId: string): Promise<{ userId: string; wasEnabled: boolean; reenrolmentRequired: boolean }> {
    return this.#context.store.transaction(async (store) => {
      const user = await this.#users.loadForAccountChange(actor, userId, store);
      const { record, reenrolmentRequiredAt } = await store.twoFactor.getState(user.id);
      const wasEnabled = record?.status === 'enabled';
      await store.twoFactor.delete(user.id);
      // Someone who never had 2FA owes no re-enrolment (Require 2FA is the tool for that); a second reset keeps the first obligation.
      if (wasEnabled && reenrolmentRequiredAt === null) await store.twoFactor.setReenrolmentRequired(user.id, this.#context.clock.now().toISOString());
      const reenrolmentRequired = wasEnabled || reenrolmentRequiredAt !== null;
      await recordAudit(this.#context, store, actor, {
        category: 'auth',
        action: 'two_factor.reset',
        subjectType: 'user',
        subjectId: user.id,
        diff: { before: { twoFactor: wasEnabled }, after: { twoFactor: false, reenrolmentRequired } },
      });
      return { userId: user.id, wasEnabled, reenrolmentRequired };
    });
  }

  /**
   * Checks a second factor at sign-in, inside the caller's transaction. A TOTP code is
   * accepted once: its time step is recorded with a compare-and-set, so neither a replay
   * nor the same code on another node gets through. A recovery code is spent the same way.
   */
  async verifySecondFactor(store: Store, userId: string, factor: SecondFactor): Promise<{ method: 'totp' | 'recovery_code'; recoveryCodesRemaining?: number }> {
    const record = await store.twoFactor.get(userId);
    if (record?.status !== 'enabled') throw codeInvalid();
    if ('recoveryCode' in factor) {
      if (!(await store.twoFactor.consumeRecoveryCode(userId, hashRecoveryCode(factor.recoveryCode), this.#context.clock.now().toISOString()))) throw codeInvalid();
      return { method: 'recovery_code', recoveryCodesRemaining: await store.twoFactor.countUnusedRecoveryCodes(userId) };
    }
    const step = matchTotp(this.#unseal(this.#key(), record), factor.code, this.#context.clock.now().getTime());
    if (step === null || !(await store.twoFactor.acceptStep(userId, step))) throw codeInvalid();
    return { method: 'totp' };
  }

  /** Fails closed: without the key, a user with 2FA can't finish signing in. */
  #key(): MasterKey {
    const state = this.#context.masterKey;
    if (state?.status === 'ready') return state.key;
    throw fail('TWO_FACTOR_UNAVAILABLE', { problem: 'the server cannot read its encryption key' });
  }

  #unseal(key: MasterKey, record: TwoFactorRecord): Buffer {
    if (record.secretKeyId !== key.id) {
      throw fail('TWO_FACTOR_UNAVAILABLE', { problem: 'your authenticator was enrolled under an encryption key this server does not have' });
    }
    try {
      return unseal(key, record.secretCiphertext, record.userId);
    } catch (error) {
      if (error instanceof SealedSecretError) {
        throw fail('TWO_FACTOR_UNAVAILABLE', { problem: 'your two-factor secret cannot be decrypted with the server key' });
      }
      throw error;
    }
  }

  async #self(actor: Actor): Promise<StoredUser> {
    const user = await this.#context.store.users.getById(actor.userId);
    if (!user) throw fail('ACCOUNT_DELETED');
    return user;
  }

  async #confirmPassword(actor: Actor, user: StoredUser, password: string): Promise<void> {
    const attempt = await this.#throttle.beginConfirmation(actor, user.email);
    const ok = attempt.allowed ? await verifyPassword(user.passwordHash, password) : (await verifyAgainstDecoy(password), false);
    if (ok) {
      await this.#throttle.succeeded(attempt, true);
      return;
    }
    await this.#throttle.failed(attempt);
    await recordAudit(this.#context, this.#context.store, actor, {
      tenantId: user.homeTenantId,
      category: 'auth',
      action: 'password.confirmation_failed',
      outcome: 'failure',
      subjectType: 'user',
      subjectId: user.id,
      detail: { throttled: !attempt.allowed },
    });
    throw attempt.allowed ? fail('CURRENT_PASSWORD_WRONG') : fail('CURRENT_PASSWORD_THROTTLED');
  }

  #recoveryRecords(userId: string, codes: string[], createdAt: string) {
    return codes.map((code) => ({ id: newId(), userId, codeHash: hashRecoveryCode(code), createdAt, usedAt: null }));
  }
}

/** The rule: without 2FA turned on, a user enrols first when a policy requires it or an admin reset theirs. */
export function mustEnrol(status: TwoFactorStatus | null, reenrolmentRequiredAt: string | null, required: boolean): boolean {
  return status !== 'enabled' && (required || reenrolmentRequiredAt !== null);
}
