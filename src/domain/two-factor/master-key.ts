import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { masterKeyOf, type MasterKeyState } from './secret-box.ts';

export const KEY_FILE_NAME = 'two-factor.key';
export const KEY_SETTING = 'Sophon:Auth:TwoFactor:EncryptionKey';

export interface LoadedMasterKey {
  state: MasterKeyState;
  /** Lines for the start-up log: warnings an operator must read. */
  notes: string[];
}

/**
 * Finds the key that seals TOTP secrets: the configured one, else the key file under the
 * data directory, created (owner-only, 0600) on first start. Never throws: a key that
 * can't be had leaves two-factor sign-in answering a clear error while everything else
 * (password sign-in of users without 2FA, admin reset of 2FA) keeps working.
 *
 * `sealedKeyIds` lists the key ids of the secrets already stored; a missing key file is
 * only re-created when nothing was sealed with the old one.
 */
export function loadMasterKey(options: { configured?: string; dataDir: string; sealedKeyIds: ReadonlyMap<string, number> }): LoadedMasterKey {
  const notes: string[] = [];
  const sealedCount = [...options.sealedKeyIds.values()].reduce((sum, count) => sum + count, 0);
  let state: MasterKeyState;
  if (options.configured) {
    state = { status: 'ready', key: masterKeyOf(Buffer.from(options.configured, 'base64'), KEY_SETTING) };
  } else {
    state = fromKeyFile(path.join(options.dataDir, KEY_FILE_NAME), sealedCount, notes);
  }
  if (state.status === 'ready') {
    const foreign = [...options.sealedKeyIds].filter(([id]) => id !== state.key.id);
    const foreignCount = foreign.reduce((sum, [, count]) => sum + count, 0);
    if (foreignCount > 0) {
      notes.push(
        `two-factor: ${foreignCount} user(s) have TOTP secrets sealed with another key (${foreign.map(([id]) => id).join(', ')}) than the one in ${state.key.source} (${state.key.id}); ` +
          `they can't finish a 2FA sign-in until that key is restored, or an admin resets their 2FA (POST /api/v1/users/:id/reset-2fa).`,
      );
    }
  } else {
    notes.push(`two-factor: ${state.reason}`);
  }
  return { state, notes };
}

function fromKeyFile(file: string, sealedCount: number, notes: string[]): MasterKeyState {
  if (existsSync(file)) return readKeyFile(file, notes);
  if (sealedCount > 0) {
    return {
      status: 'unavailable',
      reason:
        `the key file ${file} is missing, but ${sealedCount} TOTP secret(s) are sealed with it. Restore the file from a backup (or set ${KEY_SETTING} to the same key) and restart; ` +
        `until then users with 2FA can't finish signing in (they get TWO_FACTOR_UNAVAILABLE), and an admin can reset their 2FA. A new key is created only when no secret needs the old one.`,
    };
  }
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Written aside and linked into place: the file appears whole, and of two nodes starting at once, one wins and both read its key.
    const staging = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(staging, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(staging, file);
      notes.push(`two-factor: created the key file ${file} (mode 0600); back it up with the database, or set ${KEY_SETTING} instead.`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(staging);
    }
    return readKeyFile(file, notes);
  } catch (error) {
    return { status: 'unavailable', reason: `could not create the key file ${file}: ${(error as Error).message}` };
  }
}

function readKeyFile(file: string, notes: string[]): MasterKeyState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    return { status: 'unavailable', reason: `the key file ${file} can't be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); fix its owner or permissions and restart.` };
  }
  const material = Buffer.from(text, 'base64');
  if (material.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    return { status: 'unavailable', reason: `the key file ${file} does not hold a 32-byte key in base64; restore the right file and restart.` };
  }
  try {
    if ((statSync(file).mode & 0o077) !== 0) notes.push(`two-factor: the key file ${file} is readable by other users; run chmod 600 on it.`);
  } catch {
    // the mode is advice only
  }
  return { status: 'ready', key: masterKeyOf(material, file) };
}
