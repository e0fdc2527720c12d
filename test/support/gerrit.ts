import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ManagedProcess } from './child-process.ts';
import { freePort, waitFor } from './wait.ts';

// A real Gerrit (scripts/gerrit/) on loopback ports, bootstrapped with an admin, reviewers and a CI
// bot, and a small REST client to drive changes the way people do.

const repo = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

export interface GerritAccount {
  username: string;
  name: string;
  email: string;
  httpPassword: string;
}

export class GerritServer {
  readonly site: string;
  readonly credentialsDir: string;
  readonly httpPort: number;
  readonly sshPort: number;
  accounts: Record<string, GerritAccount> = {};
  private process: ManagedProcess | undefined;

  private constructor(dir: string, httpPort: number, sshPort: number) {
    this.site = join(dir, 'site');
    this.credentialsDir = join(dir, 'credentials');
    this.httpPort = httpPort;
    this.sshPort = sshPort;
  }

  static async start(dir: string): Promise<GerritServer> {
    mkdirSync(dir, { recursive: true });
    const gerrit = new GerritServer(dir, await freePort(), await freePort());
    gerrit.process = gerrit.daemon();
    await run(
      'python3',
      [
        join(repo, 'scripts/gerrit/bootstrap-gerrit.py'),
        `${gerrit.url}/`,
        gerrit.credentialsDir,
        '--site',
        gerrit.site,
        '--view-private-changes',
      ],
      { timeout: 300_000 },
    ).catch((err: Error & { stderr?: string }) => {
      throw new Error(`Gerrit bootstrap failed (${err.message}); log: ${join(dir, 'gerrit.log')}\n${err.stderr ?? ''}`);
    });
    const accounts = JSON.parse(readFileSync(join(gerrit.credentialsDir, 'accounts.json'), 'utf8')) as Record<
      string,
      GerritAccount
    >;
    gerrit.accounts = accounts;
    return gerrit;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get adminKeyPath(): string {
    return join(this.credentialsDir, 'admin_key');
  }

  /** A known_hosts file listing the server's host keys under [127.0.0.1]:<port>. */
  knownHostsFor(port: number, path: string): string {
    const lines = readdirSync(join(this.site, 'etc'))
      .filter((f) => /^ssh_host_.*_key\.pub$/.test(f))
      .map((f) =>
        readFileSync(join(this.site, 'etc', f), 'utf8')
          .trim()
          .split(/\s+/)
          .slice(0, 2)
          .join(' '),
      )
      .map((key) => `[127.0.0.1]:${port} ${key}`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  }

  as(username: string): GerritClient {
    const account = this.accounts[username];
    if (!account) {
      throw new Error(`no test account ${username}`);
    }
    return new GerritClient(this.url, account);
  }

  private daemon(): ManagedProcess {
    return new ManagedProcess(
      'bash',
      [join(repo, 'scripts/gerrit/start-gerrit.sh'), this.site, String(this.httpPort), String(this.sshPort)],
      {
        logPath: join(dirname(this.site), 'gerrit.log'),
        env: { ...process.env, GERRIT_WAR: process.env.REVIEWTRACE_GERRIT_WAR ?? process.env.GERRIT_WAR },
      },
    );
  }

  async stop(): Promise<void> {
    await this.process?.stop(15_000);
  }

  /** Stops Gerrit and starts it again on the same site and ports; resolves once its REST API answers. */
  async restart(): Promise<void> {
    await this.stop();
    this.process = this.daemon();
    await waitFor(
      'Gerrit to answer again after a restart',
      async () => {
        if (!this.process?.running) {
          throw new Error(`Gerrit exited; see ${join(dirname(this.site), 'gerrit.log')}`);
        }
        const r = await fetch(`${this.url}/config/server/version`).catch(() => undefined);
        return r?.ok ? true : undefined;
      },
      180_000,
      500,
    );
  }
}

export class GerritClient {
  private readonly base: string;
  private readonly auth: string;
  readonly account: GerritAccount;

  constructor(base: string, account: GerritAccount) {
    this.base = base;
    this.account = account;
    this.auth = `Basic ${Buffer.from(`${account.username}:${account.httpPassword}`).toString('base64')}`;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const r = await fetch(`${this.base}/a${path}`, {
      method,
      headers: { authorization: this.auth, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) {
      throw new Error(`${this.account.username}: ${method} ${path} → HTTP ${r.status}: ${text.slice(0, 300)}`);
    }
    const json = text.replace(/^\)\]\}'\s*/, '');
    return (json ? JSON.parse(json) : undefined) as T;
  }
}

/** Waits until Gerrit's REST API answers for this client. */
export function gerritReady(client: GerritClient): Promise<unknown> {
  return waitFor('Gerrit REST', () => client.request('GET', '/config/server/version'), 120_000);
}
