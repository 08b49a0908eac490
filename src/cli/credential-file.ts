import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError, ExitCode } from './exit-codes.ts';

/** What `sophon auth login` keeps for one server: an API token made for this machine, never a password. */
export interface StoredLogin {
  url: string;
  token: string;
  tokenId: string;
  tokenExpiresAt: string | null;
  userId: string;
  email: string;
  savedAt: string;
}

/** The file holds one login per server URL and remembers the last one used. */
interface CredentialFile {
  version: 1;
  current: string | null;
  logins: Record<string, StoredLogin>;
}

/** $SOPHON_CLI_CONFIG, else $XDG_CONFIG_HOME/sophon/credentials.json, else ~/.config/sophon/credentials.json. */
export function credentialFilePath(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.SOPHON_CLI_CONFIG) return path.resolve(environment.SOPHON_CLI_CONFIG);
  const base = environment.XDG_CONFIG_HOME || path.join(homedir(), '.config');
  return path.join(base, 'sophon', 'credentials.json');
}

/** `http://host:8080/` and `http://host:8080` are the same server. */
export function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

export class CredentialStore {
  readonly path: string;

  constructor(filePath: string = credentialFilePath()) {
    this.path = filePath;
  }

  #read(): CredentialFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, current: null, logins: {} };
      throw new CliError(ExitCode.Failure, `cannot read ${this.path}: ${(error as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as CredentialFile;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.logins !== 'object') throw new Error('unexpected shape');
      return parsed;
    } catch (error) {
      throw new CliError(ExitCode.Failure, `${this.path} is not a sophon credential file (${(error as Error).message}); delete it and run "sophon auth login".`);
    }
  }

  /** Written to a temporary file readable only by its owner, then renamed over the old one. */
  #write(file: CredentialFile): void {
    mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.path);
  }

  /** The login for `url`, or for the server last logged in to when no URL is given. */
  get(url: string | undefined): StoredLogin | undefined {
    const file = this.#read();
    const key = url === undefined ? file.current : normalizeUrl(url);
    return key ? file.logins[key] : undefined;
  }

  save(login: StoredLogin): void {
    const file = this.#read();
    const url = normalizeUrl(login.url);
    file.logins[url] = { ...login, url };
    file.current = url;
    this.#write(file);
  }

  remove(url: string): boolean {
    const file = this.#read();
    const key = normalizeUrl(url);
    if (!file.logins[key]) return false;
    delete file.logins[key];
    if (file.current === key) file.current = Object.keys(file.logins)[0] ?? null;
    this.#write(file);
    return true;
  }
}
