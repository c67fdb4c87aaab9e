// Launches Debian's /usr/bin/chromium through playwright-core: nothing is
// downloaded, and every launch gets a fresh profile (playwright gives the
// browser its own temporary --user-data-dir and removes it on close).
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// One page-holding context and a close() for scripts that need no more.
export async function launchChromium() {
  const browser = await launchBrowser();
  const context = await browser.newContext();
  return { browser, context, close: () => browser.close() };
}
