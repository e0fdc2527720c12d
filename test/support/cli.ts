import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

// The sidecar's CLI as a user runs it (the package's bin shim), for tests of its output and its
// one-line errors.

const repo = new URL('../../', import.meta.url).pathname;
export const CLI_BIN = join(repo, 'server/bin/reviewtrace-server.cjs');
const STACK_FRAME = /^\s+at /m;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end in `cwd`, with only PATH, HOME and `env` in its environment. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reviewtrace-server ${args.join(' ')} did not end within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A foreseeable mistake: exit code ≠ 0, exactly one line on stderr matching `message`, no stack frame. */
export function assertOneLine(r: CliResult, message: RegExp, what: string): void {
  assert.notEqual(r.code, 0, `${what}: exit code`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, STACK_FRAME, `${what}: no stack trace`);
  assert.match(lines[0], message, what);
}
