import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, newSecret } from '../../domain/ids.ts';
import type { SsoLoginState } from '../../domain/sso/sso-login-state.ts';
import { at, openTestStore, type StoreFixture } from '../../../test/support/store-fixture.ts';
import { engines } from '../../../test/support/harness.ts';

const aState = (changes: Partial<SsoLoginState> = {}): SsoLoginState => ({
  id: newId(),
  stateHash: newSecret(),
  codeVerifier: newSecret(),
  nonce: newSecret(),
  issuer: 'https://idp.example.test',
  createdAt: at(0),
  expiresAt: at(10),
  consumedAt: null,
  ...changes,
});

/** Sign-in states belong to no user or tenant yet: they are found only by the hash of a 256-bit state. */
describe.each(engines)('SSO sign-in state store on %s', (engine) => {
  let fixture: StoreFixture;
  beforeAll(async () => {
    fixture = await openTestStore(engine);
  });
  afterAll(() => fixture.close());

  it('hands a state out once, then never again', async () => {
    const state = aState();
    await fixture.store.ssoLoginStates.create(state);
    expect(await fixture.store.ssoLoginStates.consume(state.stateHash, at(1))).toEqual({ ...state, consumedAt: at(1) });
    expect(await fixture.store.ssoLoginStates.consume(state.stateHash, at(2))).toBeUndefined();
    expect(await fixture.store.ssoLoginStates.consume('unknown', at(2))).toBeUndefined();
  });

  it('hands a state to exactly one of two concurrent callbacks', async () => {
    const state = aState();
    await fixture.store.ssoLoginStates.create(state);
    const results = await Promise.all([fixture.store.ssoLoginStates.consume(state.stateHash, at(1)), fixture.store.ssoLoginStates.consume(state.stateHash, at(1))]);
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
  });

  it('does not hand out an expired state', async () => {
    const state = aState({ expiresAt: at(10) });
    await fixture.store.ssoLoginStates.create(state);
    expect(await fixture.store.ssoLoginStates.consume(state.stateHash, at(10))).toBeUndefined();
  });

  it('deletes only expired states', async () => {
    const expired = aState({ expiresAt: at(100) });
    const alive = aState({ expiresAt: at(300) });
    await fixture.store.ssoLoginStates.create(expired);
    await fixture.store.ssoLoginStates.create(alive);
    expect(await fixture.store.ssoLoginStates.deleteExpired(at(200))).toBeGreaterThanOrEqual(1);
    expect(await fixture.store.ssoLoginStates.consume(expired.stateHash, at(50))).toBeUndefined();
    expect(await fixture.store.ssoLoginStates.consume(alive.stateHash, at(250))).toBeDefined();
  });

  it('refuses two states with the same hash', async () => {
    const state = aState();
    await fixture.store.ssoLoginStates.create(state);
    await expect(fixture.store.ssoLoginStates.create(aState({ stateHash: state.stateHash }))).rejects.toThrow();
  });
});
