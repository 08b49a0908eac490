import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE_NAME, loadMasterKey } from './master-key.ts';
import { masterKeyOf, seal, SealedSecretError, unseal } from './secret-box.ts';
import { generateRecoveryCode, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';

describe('sealing TOTP secrets with AES-256-GCM', () => {
  const key = masterKeyOf(randomBytes(32), 'test');

  it('opens what it sealed, and each seal differs (fresh nonce)', () => {
    const secret = randomBytes(20);
    const first = seal(key, secret, 'user-1');
    expect(unseal(key, first, 'user-1').equals(secret)).toBe(true);
    expect(seal(key, secret, 'user-1')).not.toBe(first);
    expect(first).not.toContain(secret.toString('base64url'));
  });

  it('refuses another key, another user, and tampered data', () => {
    const sealed = seal(key, randomBytes(20), 'user-1');
    expect(() => unseal(masterKeyOf(randomBytes(32), 'other'), sealed, 'user-1')).toThrow(SealedSecretError);
    expect(() => unseal(key, sealed, 'user-2')).toThrow(SealedSecretError);
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[15]! ^= 1;
    expect(() => unseal(key, `v1.${bytes.toString('base64url')}`, 'user-1')).toThrow(SealedSecretError);
  });
});

describe('the master key', () => {
  const directories: string[] = [];
  const tempDir = () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'sophon-key-'));
    directories.push(directory);
    return directory;
  };
  afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

  it('creates an owner-only key file on first start and reads the same key afterwards', () => {
    const dataDir = tempDir();
    const first = loadMasterKey({ dataDir, sealedKeyIds: new Map() });
    expect(first.state.status).toBe('ready');
    const file = path.join(dataDir, KEY_FILE_NAME);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length).toBe(32);
    const again = loadMasterKey({ dataDir, sealedKeyIds: new Map() });
    expect(again.state.status === 'ready' && first.state.status === 'ready' && again.state.key.id === first.state.key.id).toBe(true);
  });

  it('prefers the configured key', () => {
    const material = randomBytes(32);
    const loaded = loadMasterKey({ configured: material.toString('base64'), dataDir: tempDir(), sealedKeyIds: new Map() });
    expect(loaded.state.status === 'ready' && loaded.state.key.id).toBe(masterKeyOf(material, 'x').id);
  });

  it('does not replace a lost key file while secrets need it: a clear error instead', () => {
    const loaded = loadMasterKey({ dataDir: tempDir(), sealedKeyIds: new Map([['0123456789abcdef', 3]]) });
    expect(loaded.state.status).toBe('unavailable');
    expect(loaded.state.status === 'unavailable' && loaded.state.reason).toMatch(/is missing, but 3 TOTP secret\(s\) are sealed with it/);
  });

  it('reports an unreadable or corrupt key file instead of crashing', () => {
    const unreadable = tempDir();
    mkdirSync(path.join(unreadable, KEY_FILE_NAME));
    const loaded = loadMasterKey({ dataDir: unreadable, sealedKeyIds: new Map() });
    expect(loaded.state.status === 'unavailable' && loaded.state.reason).toMatch(/can't be read/);

    const corrupt = tempDir();
    writeFileSync(path.join(corrupt, KEY_FILE_NAME), 'not a key', { mode: 0o600 });
    expect(loadMasterKey({ dataDir: corrupt, sealedKeyIds: new Map() }).state.status).toBe('unavailable');
  });

  it('warns about secrets sealed with another key', () => {
    const dataDir = tempDir();
    loadMasterKey({ dataDir, sealedKeyIds: new Map() });
    const loaded = loadMasterKey({ dataDir, sealedKeyIds: new Map([['ffffffffffffffff', 2]]) });
    expect(loaded.state.status).toBe('ready');
    expect(loaded.notes.join('\n')).toMatch(/2 user\(s\) have TOTP secrets sealed with another key/);
  });
});

describe('recovery codes', () => {
  it('are 80 random bits in an unambiguous alphabet, typed loosely', () => {
    const code = generateRecoveryCode();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(hashRecoveryCode(code.toLowerCase().replace(/-/g, ' '))).toBe(hashRecoveryCode(code));
    expect(normalizeRecoveryCode('ilo0-')).toBe('1100');
    expect(new Set(Array.from({ length: 100 }, generateRecoveryCode)).size).toBe(100);
  });
});
