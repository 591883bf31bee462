// What the dashboard's browser tests do on a page: wait for text, log in.
import type { Page } from 'playwright-core';

/** Waits until the element's text matches. */
export async function waitText(page: Page, selector: string, re: RegExp): Promise<string> {
  const loc = page.locator(selector).first();
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    last = (await loc.textContent({ timeout: 15_000 }).catch(() => '')) ?? '';
    if (re.test(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: ${JSON.stringify(last)} does not match ${re}`);
}

export async function login(page: Page, user: string, password: string): Promise<void> {
  await page.locator('input[name=user]').fill(user);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form.login button[type=submit]').click();
  await page.locator(`[data-user="${user}"]`).waitFor();
}
