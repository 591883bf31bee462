// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by
// playwright-core, a fresh profile per launch, screenshots into dist/screenshots.
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../dist/screenshots/', import.meta.url));

/**
 * The skip reason for a browser test: only when Chromium is absent outside CI. In CI
 * (.ci/run installs it) a missing browser fails the test instead.
 */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM) || process.env.CI) return false;
  return `${CHROMIUM} is not installed (apt-get install -y chromium)`;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page PNG as dist/screenshots/<name>.png. */
  screenshot(name: string): Promise<string>;
  /** Runs fn; if it fails, saves the page as FAILED-<name>.png before passing the error on. */
  onFailure(name: string, fn: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Chromium's pin for a certificate (--ignore-certificate-errors-spki-list): the
 * base64 SHA-256 of its public key, so a test's own server certificate is accepted
 * and nothing else is.
 */
export function spkiPin(certFile: string): string {
  const der = createPublicKey(readFileSync(certFile)).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

export async function launchBrowser(opts: { trustCerts?: string[] } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is required for the browser tests (apt-get install -y chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'etcd-ts-chromium-'));
  // The fresh profile dir goes in as playwright's userDataDir (it passes --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(opts.trustCerts?.length ? [`--ignore-certificate-errors-spki-list=${opts.trustCerts.map(spkiPin).join(',')}`] : [])],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const screenshot = async (name: string) => {
    const path = join(SCREENSHOT_DIR, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  };
  return {
    context,
    page,
    screenshot,
    async onFailure(name, fn) {
      rmSync(join(SCREENSHOT_DIR, `FAILED-${name}.png`), { force: true });
      try {
        await fn();
      } catch (err) {
        const shot = await screenshot(`FAILED-${name}`).catch(() => 'none');
        throw Object.assign(err as Error, { message: `${(err as Error).message}\n(screenshot: ${shot})` });
      }
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
