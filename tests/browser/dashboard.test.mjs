// The dashboard as a person uses it, in Debian's Chromium against a real
// `kalewx serve` on the fast devnet: register, sign in, take KALE from the
// faucet, plant and wager (and see the API's own rejections), watch the cycle
// advance over Server-Sent Events, and find the settlement in the portfolio.
// Every view is saved as a screenshot under $SCREENSHOTS. Any console error
// or uncaught exception in the page fails the run.
//
// Environment: KALEWX (binary), PLAYWRIGHT_DIR (holds node_modules), SCREENSHOTS.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(join(process.env.PLAYWRIGHT_DIR, 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');

const SHOTS = process.env.SCREENSHOTS;
const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
let passed = 0;

function ok(name) {
  passed++;
  console.log(`ok ${passed} - ${name} (${secs()} s)`);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

async function startServer(dataDir, logPath) {
  const port = await freePort();
  const log = createWriteStream(logPath);
  const env = {
    ...process.env,
    PORT: String(port),
    BIND: '127.0.0.1',
    KALEWX_DATA_DIR: dataDir,
    KALEWX_ENV: 'test',
    DATABASE_URL: '',
    DEVNET_BLOCK_SECONDS: '1',
    DEVNET_LEDGER_MS: '100',
    DEVNET_CROWD: '10',
  };
  delete env.KALEWX_WEB_DIR; // the built binary must find the source tree's web/ by itself
  const child = spawn(process.env.KALEWX, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`kalewx serve exited with ${child.exitCode}`);
    try {
      // Ready: the database answers and the engine has seen a first block.
      const r = await fetch(`${base}/ready`);
      if (r.ok) return { child, base };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('kalewx serve was not ready within 20 s');
}

const dataDir = mkdtempSync(join(tmpdir(), 'kalewx-browser-'));
const profile = mkdtempSync(join(tmpdir(), 'kalewx-chromium-'));
const logPath = join(SHOTS, '..', 'server.log');
let server;
let context;

async function main() {
  server = await startServer(dataDir, logPath);
  const { base } = server;

  // Static files: the page, its CSP, cache headers and ETags.
  const index = await fetch(`${base}/`);
  check(index.status === 200 && index.headers.get('content-type').startsWith('text/html'), 'GET / serves index.html');
  const csp = index.headers.get('content-security-policy');
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline') && csp.includes("connect-src 'self'"), `CSP allows only self: ${csp}`);
  check(index.headers.get('cache-control') === 'no-cache', 'HTML is revalidated');
  const js = await fetch(`${base}/static/app.js`);
  const etag = js.headers.get('etag');
  check(js.status === 200 && etag && js.headers.get('cache-control').includes('max-age'), 'app.js has an ETag and a max-age');
  const again = await fetch(`${base}/static/app.js`, { headers: { 'If-None-Match': etag } });
  check(again.status === 304, 'a matching If-None-Match is 304');
  ok('the server serves the dashboard with its CSP, ETags and cache headers');

  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const problems = [];
  const rejections = []; // API replies the test provokes on purpose: "status url"
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium reports every 4xx reply as a console error; the ones this
    // test provokes are expected, anything else is a problem.
    const loc = m.location().url ?? '';
    if (m.text().startsWith('Failed to load resource') && rejections.some((r) => loc.endsWith(r))) return;
    problems.push(`console: ${m.text()} at ${loc}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.setDefaultTimeout(30000);
  const text = (sel) => page.locator(sel).innerText();

  // The cycle dashboard, live.
  await page.goto(`${base}/`);
  await page.waitForSelector('#live[data-state="live"]');
  await page.waitForFunction(() => /^\d+$/.test(document.getElementById('cy-block').textContent));
  await page.evaluate(() => { window.kwSamePage = true; });
  const block0 = Number(await text('#cy-block'));
  await page.waitForFunction((b) => Number(document.getElementById('cy-block').textContent) >= b + 2, block0);
  await page.waitForFunction(() => document.getElementById('cy-next').textContent.startsWith('in ~')
    || document.getElementById('cy-next').textContent === 'due now');
  check((await page.locator('#events li').count()) >= 2, 'live events are listed');
  await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
  ok(`the dashboard follows the chain live from block ${block0}`);

  // Register (client-side rules first), then sign in.
  await page.click('#nav-account');
  await page.waitForSelector('#f-register', { state: 'visible' });
  await page.fill('#reg-user', 'AB');
  await page.fill('#reg-pass', 'correct horse battery');
  await page.click('#f-register button[type=submit]');
  check(await text('#reg-out') === 'username must be 3 to 32 characters', 'username rule shown');
  check(await page.locator('#reg-user').getAttribute('aria-invalid') === 'true', 'field marked invalid');
  check(await page.evaluate(() => document.activeElement.id) === 'reg-user', 'focus moves to the invalid field');
  const username = `farmer_${process.pid}`;
  await page.fill('#reg-user', username);
  await page.click('#f-register button[type=submit]');
  await page.waitForFunction(() => document.getElementById('reg-out').textContent.startsWith('Registered'));
  await page.screenshot({ path: join(SHOTS, 'account.png'), fullPage: true });
  check(await page.inputValue('#login-user') === username, 'login username filled in');
  await page.fill('#login-pass', 'correct horse battery');
  await page.press('#login-pass', 'Enter');
  await page.waitForSelector('#pf-body', { state: 'visible' });
  check(page.url().endsWith('#/portfolio'), 'signing in opens the portfolio');
  check(await text('#nav-account') === username, 'the navigation names the user');
  check(await page.evaluate(() => sessionStorage.getItem('kalewx.token')?.length > 20), 'token kept in sessionStorage');
  ok(`registered and signed in as ${username}`);

  // Faucet: the balance arrives when the devnet pays.
  await page.fill('#faucet-amount', '1000');
  await page.click('#f-faucet button[type=submit]');
  await page.waitForFunction(() => /pending|arrived/.test(document.getElementById('faucet-out').textContent));
  await page.waitForFunction(() => document.getElementById('pf-available').textContent.startsWith('1,000'), null, { timeout: 45000 });
  ok(`faucet paid: ${await text('#pf-available')} KALE available`);

  // The forms refuse what the API refuses, with the API's words, before sending.
  let actionPosts = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/actions') && r.method() === 'POST') actionPosts++; });
  const apiSays = (body) => page.evaluate(async (b) => {
    const r = await fetch('/api/v1/actions', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${sessionStorage.getItem('kalewx.token')}` }, body: JSON.stringify(b) });
    return (await r.json()).message;
  }, body);
  const cases = [
    ['#f-agri', '#agri-amount', '#agri-out', '1.12345678', { type: 'agriculture', agriculture_type: 'plant', amount: '1.12345678' }],
    ['#f-agri', '#agri-amount', '#agri-out', '0.01', { type: 'agriculture', agriculture_type: 'plant', amount: '0.01' }],
    ['#f-agri', '#agri-amount', '#agri-out', '1e3', { type: 'agriculture', agriculture_type: 'plant', amount: '1e3' }],
    ['#f-wager', '#wager-amount', '#wager-out', '20000', { type: 'wager', direction: 'good', amount: '20000' }],
  ];
  for (const [form, input, out, value] of cases) {
    await page.fill(input, value);
    await page.click(`${form} button[type=submit]`);
    check((await text(out)).length > 0, `form says why ${value} is refused`);
  }
  check(actionPosts === 0, 'refused amounts are never sent');
  rejections.push('/api/v1/actions');
  for (const [form, input, out, value, body] of cases) {
    await page.fill(input, value);
    await page.click(`${form} button[type=submit]`);
    const mine = await text(out);
    const theirs = await apiSays(body);
    check(mine === theirs, `for "${value}" the form says "${mine}", the API "${theirs}"`);
  }
  ok('amount rules and messages match the API');

  // Plant in a planting phase, then wager in a later block.
  const submitAction = async (form, out, accepts) => {
    for (let attempt = 0; attempt < 4; attempt++) {
      await page.waitForFunction(([f, a]) => document.querySelector(f).dataset.open === 'yes'
        && document.getElementById('cy-actions').textContent.includes(a), [form, accepts], { timeout: 40000 });
      const reply = page.waitForResponse((r) => r.url().endsWith('/api/v1/actions') && r.request().method() === 'POST');
      await page.click(`${form} button[type=submit]`);
      const res = await reply;
      const body = await res.json();
      if (res.status() === 201) {
        await page.waitForFunction((o) => document.querySelector(o).textContent.includes('accepted'), out);
        return body.data;
      }
      // The phase may close between looking and clicking; the page must say so in the API's words.
      await page.waitForFunction(([o, m]) => document.querySelector(o).textContent === m, [out, body.message]);
      check(['PHASE_CLOSED', 'DUPLICATE_ACTION'].includes(body.code), `unexpected rejection ${body.code}: ${body.message}`);
      await page.waitForFunction((b) => Number(document.getElementById('cy-block').textContent) > b, Number(await text('#cy-block')));
    }
    throw new Error(`${form} was never accepted`);
  };
  await page.check('#agri-plant');
  await page.fill('#agri-amount', '10');
  const plant = await submitAction('#f-agri', '#agri-out', 'plant');
  await page.waitForFunction((c) => [...document.querySelectorAll('#pf-positions tbody tr[data-status] th')]
    .some((th) => th.textContent === String(c)), plant.cycle_id);
  ok(`planted 10 KALE in cycle ${plant.cycle_id}, block ${plant.block}`);

  await page.waitForFunction((b) => Number(document.getElementById('cy-block').textContent) > b, plant.block);
  await page.check('#wager-good');
  await page.fill('#wager-amount', '5');
  const wager = await submitAction('#f-wager', '#wager-out', 'wager');
  ok(`wagered 5 KALE on GOOD in cycle ${wager.cycle_id}, block ${wager.block}`);

  // A second wager in the same cycle: the API refuses and the page shows its message.
  await page.waitForFunction((b) => Number(document.getElementById('cy-block').textContent) > b, wager.block);
  await page.fill('#wager-amount', '1');
  const second = page.waitForResponse((r) => r.url().endsWith('/api/v1/actions') && r.request().method() === 'POST');
  await page.click('#f-wager button[type=submit]');
  const refused = await (await second).json();
  check(refused.success === false, 'a second wager is refused');
  await page.waitForFunction((m) => document.getElementById('wager-out').textContent === m, refused.message);
  check(await page.locator('#wager-out').getAttribute('aria-live') === 'polite', 'results are announced');
  ok(`the API's rejection is shown as it says it: ${refused.code} "${refused.message}"`);

  // Keyboard: every control has a label, and Tab goes from an amount to its button.
  const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input, select')]
    .filter((e) => e.type !== 'hidden' && e.labels.length === 0).map((e) => e.id));
  check(unlabeled.length === 0, `unlabeled controls: ${unlabeled}`);
  await page.focus('#wager-amount');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.closest('form')?.id === 'f-wager' && document.activeElement.tagName === 'BUTTON'),
    'Tab from the wager amount reaches its button');
  ok('forms are labelled and keyboard-reachable');

  // The cycle moves on live: working (commitments), revealing (votes), settling.
  await page.click('a[data-view="daos"]');
  await page.waitForFunction((c) => Number(document.getElementById('cy-id').textContent) >= c
    && ['revealing', 'settling'].includes(document.getElementById('cy-phase').dataset.phase)
    || Number(document.getElementById('cy-id').textContent) > c, plant.cycle_id, { timeout: 40000 });
  await page.waitForFunction(() => document.querySelectorAll('#votes-table tbody tr th').length > 0, null, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelectorAll('#dao-table tbody tr th').length === 15);
  await page.waitForSelector('#dao-bars svg');
  check(await page.evaluate(() => window.kwSamePage === true), 'no reload: events arrived over the stream');
  ok(`cycle ${plant.cycle_id} revealed its DAO votes live`);

  // Settlement reaches the portfolio.
  await page.click('a[data-view="portfolio"]');
  await page.waitForSelector(`#pf-cycles tr[data-cycle="${plant.cycle_id}"][data-settled="yes"]`, { timeout: 60000 });
  await page.waitForSelector('#pf-positions tr[data-status="settled"]');
  await page.waitForSelector('#pf-wagers tr[data-status="won"], #pf-wagers tr[data-status="lost"], #pf-wagers tr[data-status="refunded"]');
  await page.waitForSelector('#pf-cycle-chart svg');
  const net = await text(`#pf-cycles tr[data-cycle="${plant.cycle_id}"] td:last-child`);
  await page.screenshot({ path: join(SHOTS, 'portfolio.png'), fullPage: true });
  ok(`cycle ${plant.cycle_id} settled in the portfolio: net ${net} KALE`);

  // After settlement each revealed vote is marked correct or wrong, and the DAO's history has a point.
  await page.click('a[data-view="daos"]');
  await page.waitForFunction((c) => document.getElementById('votes-cycle').textContent.endsWith(`cycle ${c}`)
    && document.querySelectorAll('#votes-table td:last-child .badge').length > 0, plant.cycle_id);
  await page.selectOption('#dao-pick', 'crypto-momentum');
  await page.waitForSelector('#dao-acc-chart svg circle');
  await page.waitForSelector('#dao-weight-chart svg circle');
  await page.screenshot({ path: join(SHOTS, 'daos.png'), fullPage: true });
  ok('settled DAO votes are marked correct or wrong, with accuracy and weight over time');

  // Weather history and the revealed city.
  await page.click('a[data-view="weather"]');
  await page.waitForSelector('#wx-score-chart svg');
  await page.waitForSelector('#wx-suitability');
  await page.waitForSelector('#wx-city-chart svg');
  await page.screenshot({ path: join(SHOTS, 'weather.png'), fullPage: true });
  ok(`weather history shows the revealed city ${await page.locator('#wx-city .city strong').innerText()}`);

  // A phone-sized screen: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const view of ['dashboard', 'portfolio', 'weather', 'daos']) {
    await page.click(`a[data-view="${view}"]`);
    await page.waitForTimeout(300); // charts redraw at the new width on their resize observer
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, `${view} is ${wide} px wide on a 390 px screen`);
    await page.screenshot({ path: join(SHOTS, `phone-${view}.png`), fullPage: true });
  }
  ok('every view fits a phone-sized screen');

  check(problems.length === 0, `the page reported:\n${problems.join('\n')}`);
  ok('no console errors or page errors');
}

let code = 0;
try {
  await main();
  console.log(`browser: all ${passed} steps ok in ${secs()} s`);
} catch (e) {
  console.log(`not ok - ${e.message} (${secs()} s)`);
  try {
    console.log(`--- server log (last lines) ---\n${readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n')}`);
  } catch {
    // no log yet
  }
  console.log(`browser: failed after ${passed} steps`);
  code = 1;
} finally {
  await context?.close().catch(() => {});
  if (server) {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
