import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/** The data directory and the files in it are the server's alone: the database holds password hashes and session secrets. */
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the data directory (and any missing parents) 0700; one that already exists is the operator's, so a loose mode is only reported. */
export function ensurePrivateDirectory(directory: string, report: (line: string) => void): void {
  if (mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }) !== undefined) return;
  const mode = statSync(directory).mode & 0o777;
  if ((mode & 0o077) !== 0) report(`the data directory ${directory} is open to other users (mode ${mode.toString(8)}); run chmod 700 on it.`);
}

/**
 * Makes the SQLite database file before SQLite does, mode 0600, since SQLite would create
 * it 0644 (less the umask). SQLite gives the -wal and -shm files it creates the database
 * file's mode, so they are 0600 too. A database an older version left readable by others
 * is tightened to 0600, with its -wal and -shm, and said so.
 */
export function ensurePrivateSqliteFiles(file: string, report: (line: string) => void): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = statSync(each).mode & 0o777;
    } catch {
      continue; // no such file (yet)
    }
    if ((mode & 0o077) === 0) continue;
    try {
      chmodSync(each, PRIVATE_FILE_MODE);
      report(`made ${each} readable by its owner only (mode ${mode.toString(8)} → 600).`);
    } catch (error) {
      report(`${each} is readable by other users (mode ${mode.toString(8)}) and could not be changed (${(error as NodeJS.ErrnoException).code}); run chmod 600 on it.`);
    }
  }
}
