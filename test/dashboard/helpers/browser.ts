// Headless Chromium for the dashboard tests and benchmark (apt chromium driven by playwright-core), and the page steps every test repeats.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * `nice`: start Chromium (and so every process it forks) that much nicer than this one. The benchmark does, because
 * the browser stands in for the operator's own device: on a robot it does not take the robot computer's cores.
 */
export function launchChromium(opts: { nice?: number } = {}): Promise<Browser> {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];
  if (!opts.nice) return chromium.launch({ executablePath: CHROMIUM, args });
  // A wrapper that execs Chromium under nice(1): the same process, so playwright's pipes reach it.
  const wrapper = path.join(mkdtempSync(path.join(tmpdir(), 'gng-chromium-')), 'chromium');
  writeFileSync(wrapper, `#!/bin/sh\nexec nice -n ${Math.trunc(opts.nice)} ${JSON.stringify(CHROMIUM)} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return chromium.launch({ executablePath: wrapper, args });
}

/** Opens the dashboard, collects page errors (a test fails on any), and logs in. */
export async function openDashboard(browser: Browser, url: string, username: string, password: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(url);
  await login(page, username, password);
  return { page, errors };
}

export async function login(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}
