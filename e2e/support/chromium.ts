// How every browser test and the UI benchmark launch Chromium: Debian's chromium
// (scripts/chromium/install-chromium.sh), never a browser build downloaded by Playwright.
// Playwright gives every launch a fresh, temporary user-data-dir of its own (a --user-data-dir
// argument is not allowed with launch()); launchPersistentContext() callers pass a fresh mkdtemp.
import { existsSync } from 'node:fs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium is not installed at ${path}. Run scripts/chromium/install-chromium.sh (as root it installs Debian's chromium), or set CHROMIUM_PATH.`,
    );
  }
  return path;
}

export function launchOptions(): { executablePath: string; headless: true; args: string[] } {
  return { executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS };
}
