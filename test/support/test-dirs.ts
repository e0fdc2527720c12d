import { rmSync } from 'node:fs';

/** Removes a test's working directory, or keeps it (and says where) with REVIEWTRACE_KEEP_TEST_DIRS set. */
export function removeTestDir(dir: string): void {
  if (process.env.REVIEWTRACE_KEEP_TEST_DIRS) {
    process.stderr.write(`test directories kept in ${dir}\n`);
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
}
