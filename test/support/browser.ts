/**
 * A real headless browser for page tests: Debian's `chromium` (apt-get install chromium; .ci/run
 * installs it) driven by playwright-core, which downloads nothing. `findChromium()` names the
 * binary or says why there is none, so a test can skip with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function findChromium(): { path: string } | { missing: string } {
  const fromEnv = process.env.COURSE_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? { path: fromEnv } : { missing: `COURSE_CHROMIUM=${fromEnv} does not exist` };
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    const found = r.stdout.trim();
    if (r.status === 0 && found) return { path: found };
  }
  return { missing: 'no chromium on PATH (Debian: apt-get install chromium; or set COURSE_CHROMIUM)' };
}

/**
 * Flags for a closed network and a root user: no sandbox, no GPU, no background traffic.
 * Playwright adds --headless and a fresh, empty --user-data-dir of its own (it refuses one here).
 */
export function chromiumArgs(): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
}

export async function launchChromium() {
  const found = findChromium();
  if ('missing' in found) throw new Error(found.missing);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: found.path, args: chromiumArgs(), headless: true });
}
