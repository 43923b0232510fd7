import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { REPO } from './support/processes.js';
import { type InProcess, setSimModel, startInProcess, testConfigText, useSimulatorAndAgent } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// The status page in a real browser (Debian's chromium, headless, driven by playwright-core; nothing
// is downloaded): live updates over the event stream, phone width, and protected reads.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO, 'service/test-results');
const FAST = 'probes: { intervalSeconds: 1, unhealthyIntervalSeconds: 1, jitterSeconds: 0 }\n';
const TOKEN = 'status-page-test-token-0123456789';

const { sim, agent } = useSimulatorAndAgent();
let browser: Browser;
let svc: InProcess | undefined;
let page: Page | undefined;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await page?.close();
  await svc?.service.stop(1000);
  svc = page = undefined;
});

const card = (p: Page, id: string) => p.locator(`article[data-model="${id}"]`);
/** Waits, with a deadline, for the page (never reloaded) to show what `check` looks for. */
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 10_000) => waitFor(what, check, timeoutMs, 100);

describe('the status page', () => {
  it('when a model breaks and a start falls back, then the open page shows both without a reload', async () => {
    svc = await startInProcess({
      agentUrl: agent().url,
      configText: testConfigText(sim().port, FAST),
      scheduleProbes: true,
      historySampleMs: 500,
    });
    const ids = ['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4'];
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${svc.url}/`);
    await until('every model healthy, in words', async () => {
      for (const id of ids)
        if ((await card(page!, id).locator('h3 .state').textContent())?.trim() !== '✔ Healthy') return false;
      return true;
    });
    await until(
      'the stream connected',
      async () => (await page!.locator('#live').textContent())?.startsWith('Live') ?? false,
    );
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await setSimModel(sim(), 'gpt-4o', { errorRate: 1, status: 500 });
    await until(
      'gpt-4o shown unhealthy',
      async () => (await card(page!, 'openai:gpt-4o').getAttribute('data-state')) === 'unhealthy',
    );
    const gpt = card(page, 'openai:gpt-4o');
    expect(await gpt.locator('h3 .state').textContent()).toContain('Unhealthy');
    expect(await gpt.locator('.reason').first().textContent()).toMatch(
      /consecutive failures: server_error \(HTTP 500\)/,
    );

    const start = await json(`${svc.url}/v1/interviews`, {
      method: 'POST',
      body: { primary: 'openai:gpt-4o', simulationId: 'browser-test' },
    });
    const eventId = start.body.fallback.eventId as string;
    const item = page.locator(`li[data-fallback="${eventId}"]`);
    await until('the new fallback listed', async () => (await item.count()) === 1);
    expect(await item.textContent()).toMatch(/openai:gpt-4o → .*the primary was unhealthy/s);
    expect(await item.textContent()).toContain('Evidence: primary was unhealthy');
    expect(await page.locator('ol.timeline').textContent()).toMatch(/openai:gpt-4o: Healthy → ✖ Unhealthy/);

    await json(`${svc.url}/v1/models/openai:gpt-4o-mini/drain`, { method: 'POST', body: { reason: 'browser test' } });
    await until(
      'the drain shown',
      async () => (await card(page!, 'openai:gpt-4o-mini').getAttribute('data-drained')) === 'true',
    );
    expect(await card(page, 'openai:gpt-4o-mini').locator('.drained').textContent()).toContain('browser test');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await until('a latency chart', async () => (await page!.locator('article svg[role="img"]').count()) >= 2);
    await page.screenshot({ path: join(SCREENSHOTS, 'status-page-wide.png'), fullPage: true });

    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await card(page, 'openai:gpt-4o').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(SCREENSHOTS, 'status-page-phone.png'), fullPage: true });
  });

  it('when reads need the token, then the page shows nothing until the token is given', async () => {
    svc = await startInProcess({
      agentUrl: agent().url,
      configText: testConfigText(sim().port, 'api: { protectReads: true }\n'),
      apiToken: TOKEN,
    });
    expect((await json(`${svc.url}/status/panel`)).status).toBe(401);
    page = await browser.newPage();
    await page.goto(`${svc.url}/`);
    expect(await page.locator('article').count()).toBe(0);
    expect(await page.locator('#live').textContent()).toContain('needs its API token');
    await page.fill('#token', TOKEN);
    await page.click('button[type="submit"]');
    await until('the models shown', async () => (await page!.locator('article[data-model]').count()) === 3);
    await until(
      'the stream connected',
      async () => (await page!.locator('#live').textContent())?.startsWith('Live') ?? false,
    );
  });
});

describe('the status page assets', () => {
  it('when an asset that does not exist is asked for, then 404 names it', async () => {
    svc = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port) });
    const res = await json(`${svc.url}/static/nope.js`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', details: { field: 'name' } });
    expect((await fetch(`${svc.url}/static/status.js`)).headers.get('content-type')).toContain('text/javascript');
  });
});
