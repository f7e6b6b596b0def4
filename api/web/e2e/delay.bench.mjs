// Measures the delay from a change in the book to its appearance in a connected browser: a
// tablet page is open on a cell; the operation on it is paused and resumed through the API, and
// the page records (with a MutationObserver) when it shows each new state. Prints JSON.
//
// Usage: node delay.bench.mjs BASE_URL CELL TOKEN PERSON PIN [ROUNDS]
import { chromium } from 'playwright-core';

const [base, cell, token, person, pin, roundsArg] = process.argv.slice(2);
if (!base || !cell || !token || !person || !pin) {
  console.error('usage: node delay.bench.mjs BASE_URL CELL TOKEN PERSON PIN [ROUNDS]');
  process.exit(2);
}
const rounds = Number(roundsArg || 40);

async function api(path, body) {
  const r = await fetch(base + path, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
  const page = await context.newPage();
  const signin = await page.request.post(`${base}/tablet/${cell}/signin`, { form: { person, pin } });
  if (!signin.ok()) throw new Error(`sign-in: ${signin.status()}`);
  await page.goto(`${base}/tablet/${cell}`);
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 30000 });
  const job = page.locator('#current article.job');
  await job.waitFor({ timeout: 30000 });
  const op = await job.getAttribute('data-op');
  if ((await job.getAttribute('data-state')) === 'queued') {
    await api(`/api/v1/operations/${op}/start`, {});
    await page.waitForSelector('#current article.job[data-state="running"]', { timeout: 10000 });
  }
  await page.evaluate(() => {
    window.__want = null;
    window.__at = 0;
    new MutationObserver(() => {
      const a = document.querySelector('#current article.job');
      if (!window.__at && a && a.dataset.state === window.__want) window.__at = Date.now();
    }).observe(document.getElementById('live'), { childList: true, subtree: true, attributes: true });
  });
  const delays = [];
  for (let i = 0; i < rounds; i++) {
    const [action, want, body] = i % 2 === 0 ? ['pause', 'paused', { reason: 'break' }] : ['resume', 'running', {}];
    await page.evaluate((w) => { window.__want = w; window.__at = 0; }, want);
    const t0 = Date.now();
    await api(`/api/v1/operations/${op}/${action}`, body);
    await page.waitForFunction(() => window.__at > 0, null, { timeout: 10000, polling: 5 });
    delays.push((await page.evaluate(() => window.__at)) - t0);
  }
  delays.sort((a, b) => a - b);
  const q = (p) => delays[Math.min(delays.length - 1, Math.max(0, Math.ceil(p * delays.length) - 1))];
  console.log(JSON.stringify({ rounds, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: delays[delays.length - 1] }));
} finally {
  await browser.close();
}
