import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialStore } from './credentialStore.js';

export const CREDENTIALS_FILE = 'credentials.json';

/**
 * Secrets in a JSON file only its owner may read (0600), for machines without
 * a reachable keychain. Weaker than a keychain (any process of the user can
 * read it), which is why choosing it is announced. Writes go to a temp file
 * that is renamed over the old one, so a crash never leaves half a file.
 */
export class FileCredentialStore implements CredentialStore {
  readonly kind = 'file';
  readonly filePath: string;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly stateDir: string) {
    this.filePath = join(stateDir, CREDENTIALS_FILE);
  }

  async get(account: string): Promise<string | null> {
    await this.writes;
    return (await this.read())[account] ?? null;
  }

  set(account: string, secret: string): Promise<void> {
    return this.update((secrets) => {
      secrets[account] = secret;
      return true;
    }).then(() => undefined);
  }

  delete(account: string): Promise<boolean> {
    return this.update((secrets) => {
      if (!(account in secrets)) return false;
      delete secrets[account];
      return true;
    });
  }

  /** Read-modify-write, one at a time, so two updates never lose each other. */
  private update(change: (secrets: Record<string, string>) => boolean): Promise<boolean> {
    const next = this.writes.then(async () => {
      const secrets = await this.read();
      if (!change(secrets)) return false;
      await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      const temp = `${this.filePath}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
      // The mode given to writeFile is masked by the umask and ignored for an existing file.
      await chmod(temp, 0o600);
      await rename(temp, this.filePath);
      return true;
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse quotes the text it choked on, and that text is secrets.
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${this.filePath} is not a JSON object of secrets`);
    }
    return Object.fromEntries(Object.entries(parsed).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
  }
}
