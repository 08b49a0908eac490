import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../src/storage/open-database.ts';
import { createTestDatabase, engines, startTestServer, type TestDatabase } from './support/harness.ts';

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

let scratch: string[] = [];
afterEach(() => {
  for (const directory of scratch) rmSync(directory, { recursive: true, force: true });
  scratch = [];
});

/** A data directory that doesn't exist yet, in a fresh temporary folder. */
function newDataDir(): string {
  const parent = mkdtempSync(path.join(tmpdir(), 'sophon-files-'));
  scratch.push(parent);
  return path.join(parent, 'nested', 'data');
}

describe.each(engines)('the data directory on %s', (engine) => {
  it('is created for its owner only (0700), and the 2FA key file in it is 0600', async () => {
    const dataDir = newDataDir();
    const database: TestDatabase = { ...(await createTestDatabase(engine)), dataDir };
    const test = await startTestServer(engine, { database });
    try {
      expect(modeOf(dataDir)).toBe('700');
      expect(modeOf(path.dirname(dataDir))).toBe('700');
      expect(modeOf(path.join(dataDir, 'two-factor.key'))).toBe('600');
      if (engine === 'sqlite') {
        // While the server runs, in WAL mode: the database, its write-ahead log and its shared-memory index.
        for (const name of ['sophon.db', 'sophon.db-wal', 'sophon.db-shm']) expect({ name, mode: modeOf(path.join(dataDir, name)) }).toEqual({ name, mode: '600' });
      }
    } finally {
      await test.close();
      await database.drop();
    }
  });
});

describe('the SQLite files', () => {
  it('are 0600 however permissive the umask, and so are the -wal and -shm files SQLite creates', async () => {
    const dataDir = newDataDir();
    const previous = process.umask(0);
    try {
      const opened = openDatabase({ dataDir, report: () => {} });
      await migrate(opened.db);
      const file = path.join(dataDir, 'sophon.db');
      expect(existsSync(`${file}-wal`)).toBe(true);
      expect([modeOf(dataDir), modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)]).toEqual(['700', '600', '600', '600']);
      await opened.db.destroy();
    } finally {
      process.umask(previous);
    }
  });

  it('left readable by others by an older version are tightened to 0600, and said so; a loose data directory is reported', async () => {
    const dataDir = newDataDir();
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const file = path.join(dataDir, 'sophon.db');
    for (const name of [file, `${file}-wal`, `${file}-shm`]) {
      writeFileSync(name, '');
      chmodSync(name, 0o644);
    }
    const lines: string[] = [];
    const opened = openDatabase({ dataDir, report: (line) => lines.push(line) });
    await migrate(opened.db);
    expect([modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)]).toEqual(['600', '600', '600']);
    // The directory may be the operator's (SOPHON_DATA_DIR=/srv/shared): not changed, only reported.
    expect(modeOf(dataDir)).toBe('755');
    expect(lines).toEqual([
      `the data directory ${dataDir} is open to other users (mode 755); run chmod 700 on it.`,
      `made ${file} readable by its owner only (mode 644 → 600).`,
      `made ${file}-wal readable by its owner only (mode 644 → 600).`,
      `made ${file}-shm readable by its owner only (mode 644 → 600).`,
    ]);
    await opened.db.destroy();
  });
});
