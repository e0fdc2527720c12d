import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** A long-running child whose output goes to a log file; stop() ends it (SIGTERM, then SIGKILL). */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly logPath: string;
  private exited: Promise<number | null>;

  constructor(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; logPath: string; cwd?: string }) {
    const log = createWriteStream(options.logPath, { flags: 'a' });
    this.logPath = options.logPath;
    this.child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.pipe(log);
    this.child.stderr?.pipe(log);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) {
      return;
    }
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
