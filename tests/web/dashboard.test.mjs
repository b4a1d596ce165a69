// End-to-end test of the dashboard in Debian's headless Chromium (driven by
// playwright-core) against a real `signalforge serve`: embedded PostgreSQL,
// the synthetic market at high speed, real Lua strategies. It signs up and
// in, waits for a signal to appear live in the table without a reload, opens
// its chart, reads the equity curve, creates an alert, breaks a strategy file
// and sees the refused reload on the admin page. Every page is photographed
// at 1440 px and at 375 px into $SF_SCREENSHOTS.
//
// Environment: SF_BINARY (signalforge), SF_BUILD_DIR (plugins/, web/),
// SF_SOURCE_DIR (scripts/), SF_SCREENSHOTS, CHROMIUM (default /usr/bin/chromium).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, cpSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const binary = process.env.SF_BINARY;
const buildDir = process.env.SF_BUILD_DIR;
const sourceDir = process.env.SF_SOURCE_DIR;
const shots = process.env.SF_SCREENSHOTS || join(buildDir, 'screenshots');
const chromePath = process.env.CHROMIUM || '/usr/bin/chromium';
for (const [k, v] of Object.entries({ SF_BINARY: binary, SF_BUILD_DIR: buildDir, SF_SOURCE_DIR: sourceDir })) {
  if (!v) throw new Error(`${k} is not set`);
}
mkdirSync(shots, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'sf-web-e2e-'));
// The embedded PostgreSQL runs as `postgres` when we are root: it must be able to enter here.
chmodSync(work, 0o755);
const scripts = join(work, 'scripts');
cpSync(join(sourceDir, 'scripts'), scripts, { recursive: true });

// A strategy that asks for a signal on every bar for a few symbols, so the
// live table has something to show within seconds; its signals expire after
// one bar, so closed signals (and an equity curve) follow quickly.
const eager = `-- e2e probe: a buy on every bar for symbols starting with A-E
return {
  name = "e2e_every_bar",
  description = "e2e probe",
  timeframe = "1d",
  universe = { type = "equity" },
  params = {},
  evaluate = function(ctx, symbol)
    if symbol:byte(1) > 69 then return nil end
    local c = ctx.bars.close[-1]
    if not c then return nil end
    return { side = "buy", confidence = 0.95, entry = c, target = c * 1.04, stop = c * 0.98,
             expiry = 1, summary = symbol .. " e2e probe signal", features = { close = c } }
  end,
}
`;

const config = {
  http: { host: '127.0.0.1', port: 0 },
  log: { format: 'text', level: 'info' },
  plugins: { directories: [join(buildDir, 'plugins')] },
  database: { url: '', data_dir: join(work, 'pg'), migrations_dir: join(sourceDir, 'schemas', 'migrations') },
  web: { dir: join(buildDir, 'web') },
  auth: { jwt_secret: randomBytes(48).toString('hex') },
  market: { failover: { equity: ['synthetic'] }, synthetic: { seed: 7, symbols: 30, speed: 20000 }, live: { backfill_days: 120 } },
  api: { enabled: true, auth_cache_ms: 0 },
  engine: { scripts_dir: scripts, risk: { profile: 'moderate', min_risk_reward: 1.0 } },
};
const extra = process.env.SF_E2E_CONFIG ? JSON.parse(process.env.SF_E2E_CONFIG) : {};
for (const [k, v] of Object.entries(extra)) config[k] = { ...(config[k] || {}), ...v };
const configPath = join(work, 'signalforge.json');

let server = null;
let browser = null;
let failed = false;
const serverLog = [];

async function startServer() {
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  server = spawn(binary, ['serve', '--config', configPath], { cwd: sourceDir, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr.on('data', (d) => serverLog.push(d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not print its address within 90 s')), 90000);
    server.stdout.on('data', (d) => {
      serverLog.push(d.toString());
      const m = /listening on (http:\/\/[^\s]+)/.exec(d.toString());
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    });
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}`)); });
  });
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.stack || e}`);
    throw e;
  }
}

async function both(page, name) {
  await page.screenshot({ path: join(shots, `${name}-1440.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: join(shots, `${name}-375.png`), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  assert.ok(overflow <= 1, `${name}: the page is ${overflow}px wider than a 375px phone`);
}

try {
  const base = await startServer();
  const email = `admin-${Date.now()}@example.com`;
  const password = 'correct horse battery staple 42';

  browser = await chromium.launch({ executablePath: chromePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });

  await step('served with a strict CSP', async () => {
    const resp = await page.goto(`${base}/`);
    assert.equal(resp.status(), 200);
    const csp = resp.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.waitForSelector('#auth-form');
  });

  await step('sign up, then sign in', async () => {
    await page.click('#auth-toggle');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', password);
    await page.click('#auth-submit');
    await page.waitForSelector('#who:not([hidden])', { timeout: 15000 });
    // The first account becomes admin through the CLI, as an operator would.
    execFileSync(binary, ['user', 'set-tier', '--config', configPath, '--email', email, '--tier', 'admin'], { cwd: sourceDir, stdio: 'pipe' });
    await page.click('#logout');
    await page.waitForSelector('#auth-form');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', password);
    await page.click('#auth-submit');
    await page.waitForFunction(() => document.getElementById('who-tier').textContent === 'admin', null, { timeout: 15000 });
    const stored = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie);
    assert.doesNotMatch(stored, /eyJ/, 'a token was written to web storage or a readable cookie');
  });

  await step('a signal appears live without reload', async () => {
    await page.waitForSelector('#signals-table');
    await page.evaluate(() => { window.__noReload = 'still here'; });
    writeFileSync(join(scripts, 'e2e_every_bar.lua'), eager);
    await page.waitForSelector('#signals-table tbody tr', { timeout: 60000 });
    assert.equal(await page.evaluate(() => window.__noReload), 'still here', 'the page reloaded');
    await both(page, 'signals');
  });

  await step('open a signal and its chart', async () => {
    await page.click('#signals-table tbody tr');
    await page.waitForSelector('#signal-chart canvas', { timeout: 15000 });
    await page.waitForFunction(() => +(document.getElementById('signal-chart').dataset.bars || 0) > 0, null, { timeout: 15000 });
    assert.ok((await page.textContent('#signal-summary')).length > 0);
    await both(page, 'signal');
  });

  await step('performance shows the equity curve', async () => {
    await page.goto(`${base}/#/performance?period=all`);
    await page.waitForSelector('#equity-chart canvas', { timeout: 90000 }).catch(async () => {
      // Closed signals come with the next bars; reload the page until they do.
      for (let i = 0; i < 20; i++) {
        await page.waitForTimeout(3000);
        await page.evaluate(() => { location.hash = `#/performance?period=all&t=${Date.now()}`; });
        if (await page.$('#equity-chart canvas')) return;
      }
      throw new Error('no equity curve after 60 s');
    });
    await page.waitForSelector('#monthly-heatmap');
    await both(page, 'performance');
  });

  await step('create an alert', async () => {
    await page.goto(`${base}/#/alerts`);
    await page.waitForSelector('#alert-form');
    await page.selectOption('#alert-form select[name=channel]', 'email');
    await page.fill('#alert-form input[name=destination]', 'alerts@example.com');
    await page.fill('#alert-form input[name=symbols]', 'SYN001');
    await page.click('#alert-form button[type=submit]');
    await page.waitForSelector('#alerts-list tbody tr:has-text("alerts@example.com")', { timeout: 15000 });
    await both(page, 'alerts');
  });

  await step('run a backtest from the dashboard and read its report', async () => {
    // A symbol the probe strategy signalled live: it has stored bars and the probe trades it on every bar.
    const symbol = (await page.evaluate(async () => {
      const r = await import('./api.js');
      return r.items(await r.get('/signals?strategy=e2e_every_bar&limit=1'))[0]?.symbol;
    }));
    assert.ok(symbol, 'no signal to take a symbol from');
    await page.goto(`${base}/#/backtests`);
    await page.waitForSelector('#backtest-form');
    await page.fill('#backtest-form input[name=strategy]', 'e2e_every_bar');
    await page.fill('#backtest-form input[name=symbols]', symbol);
    const from = new Date(Date.now() - 200 * 86400000).toISOString().slice(0, 10);
    await page.fill('#backtest-form input[name=from]', from);
    await page.click('#backtest-form button[type=submit]');
    await page.waitForSelector('#backtest-stats', { timeout: 120000 });
    const trades = await page.textContent('#backtest-stats .stat:first-child .v');
    assert.ok(+trades > 0, `the backtest made no trades (${trades})`);
    await page.waitForSelector('#backtest-equity canvas');
    await both(page, 'backtests');
  });

  await step('a broken strategy reload is reported on the admin page', async () => {
    await page.goto(`${base}/#/admin`);
    await page.waitForSelector('#admin-strategies tbody tr');
    writeFileSync(join(scripts, 'e2e_every_bar.lua'), eager.replace('evaluate = function(ctx, symbol)', 'evaluate = function(ctx, symbol) local x = = 1'));
    await page.waitForSelector('#admin-strategies tbody tr:has-text("e2e_every_bar.lua") td.neg', { timeout: 30000 });
    const row = await page.textContent('#admin-strategies tbody tr:has-text("e2e_every_bar.lua")');
    assert.match(row, /e2e_every_bar\.lua:\d+/, `the refused reload names file:line (row: ${row})`);
    await both(page, 'admin');
  });

  await step('no script errors or CSP violations', async () => {
    assert.deepEqual(problems.filter((p) => !/Failed to load resource.*40[134]/.test(p)), []);
  });
  await step('sign-in page at both widths', async () => {
    await page.click('#logout');
    await page.waitForSelector('#auth-form');
    await both(page, 'signin');
  });
} catch (e) {
  failed = true;
  console.log('--- server log (last 60 lines) ---');
  console.log(serverLog.join('').split('\n').slice(-60).join('\n'));
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { const t = setTimeout(() => { server.kill('SIGKILL'); r(); }, 20000); server.on('exit', () => { clearTimeout(t); r(); }); });
  }
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
