// End-to-end tests of the dashboard in a real browser: headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core) against a real
// `steward serve` on SQLite, and the main flow once more on PostgreSQL.
//
//   STEWARD_BINARY=build/src/steward node --test tests/web/
//
// Screenshots of every page (360x740 and 1280x800) go to
// $WEB_SCREENSHOT_DIR (default: a temp dir, printed); with
// UPDATE_DOC_SCREENSHOTS=1 they are also copied to docs/img/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../../web/tools/chromium.mjs';
import {
  XSS, TOKENS, tempDir, eventually, writeConfig, startSteward, apiClient, startPostgres, postgresAvailable, ensureDir,
} from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AXE = join(ROOT, 'web', 'node_modules', 'axe-core', 'axe.min.js');
const BINARY = resolve(process.env.STEWARD_BINARY || join(ROOT, 'build', 'src', 'steward'));
const SHOTS = ensureDir(process.env.WEB_SCREENSHOT_DIR || tempDir('steward-web-shots-'));
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

// Enqueues `n` jobs of the failing kind (one attempt each, so they are
// discarded at once) and waits until all are discarded.
async function failSome(api, n, kind = 'flaky') {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const r = await api.post('/api/v1/jobs', {
      kind, queue: 'default', max_attempts: 1,
      payload: { account_id: 42, note: XSS, n: i },
    });
    ids.push(r.id);
  }
  await eventually(async () => {
    for (const id of ids) {
      const j = await api.get(`/api/v1/jobs/${id}`);
      if (j.state !== 'discarded') return false;
    }
    return true;
  }, { what: `${n} ${kind} jobs discarded` });
  return ids;
}

async function newPage(browser, base, opts = {}) {
  const context = await browser.newContext({ baseURL: base, viewport: PHONE, ...opts });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('dialog', (d) => { problems.push('dialog: ' + d.message()); d.dismiss().catch(() => {}); });
  // "Failed to load resource" is an HTTP status (a 401 before signing in, a
  // refused POST), which the tests check where it matters; script errors
  // and dialogs are what must never happen.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push('console: ' + m.text());
  });
  return { context, page, problems };
}

async function login(page, token, next = '/ui/') {
  await page.goto(next);
  await page.waitForURL(/\/ui\/login\?next=/);
  assert.equal(new URL(page.url()).searchParams.get('next'), next);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname + u.search === next);
}

// Clicks an action button, checks the confirm dialog's sentence, confirms
// and returns the result notice's text.
async function act(page, button, question, confirmName) {
  await page.getByRole('button', { name: button, exact: true }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), question);
  await dialog.getByRole('button', { name: confirmName || button, exact: true }).click();
  const notice = page.locator('.notice').last();
  await notice.waitFor();
  return notice.innerText();
}

// The retry-a-failure-group flow, shared by the SQLite and PostgreSQL runs.
async function retryGroupFlow(page, api, okFile, n) {
  await page.goto('/ui/');
  const problem = page.locator('.problems a', { hasText: 'flaky' }).first();
  await problem.waitFor({ timeout: 30000 });
  await problem.click();
  await page.waitForURL(/\/ui\/failures\?kind=flaky/);
  await page.locator('a.group', { hasText: 'flaky' }).first().click();
  await page.waitForURL(/\/ui\/failures\/[0-9a-f]{16}/);
  const groupUrl = new URL(page.url()).pathname;
  writeFileSync(okFile, 'ok');
  const result = await act(page, `Retry ${n} jobs`, new RegExp(`Retry ${n} discarded jobs of kind flaky now\\?`), `Retry ${n} jobs`);
  assert.equal(result, `Retried ${n} jobs`);
  // The retried jobs run again and now succeed; the list shows them completed.
  await page.goto('/ui/jobs?kind=flaky&state=completed');
  await eventually(async () => (await page.locator('.cards.jobs li').count()) >= n,
    { timeoutMs: 30000, what: `${n} completed flaky jobs on the Jobs page (polling)` });
  const done = await api.get('/api/v1/jobs?kind=flaky&state=completed&limit=100');
  assert.ok(done.jobs.length >= n);
  // The group is empty now, and its page says so.
  await page.goto(groupUrl);
  await page.getByText('No failing jobs are in this group').waitFor();
  return groupUrl;
}

const skip = !existsSync(AXE) ? 'web/node_modules missing: run `npm ci` in web/ (scripts/install-deps.sh)'
  : !existsSync('/usr/bin/chromium') ? '/usr/bin/chromium missing: apt-get install chromium'
    : !existsSync(BINARY) ? `no steward binary at ${BINARY} (set STEWARD_BINARY)` : false;

describe('dashboard on SQLite', { skip }, () => {
  let dir, serve, api, reader, browser, okFile, ids, groupUrl, broken, brokenGroupUrl;

  before(async () => {
    dir = tempDir('steward-web-');
    const cfg = writeConfig(dir);
    okFile = cfg.okFile;
    serve = await startSteward({ binary: BINARY, dir, db: 'sqlite://' + join(dir, 's.db'), config: cfg.path });
    api = apiClient(serve.base, TOKENS.admin);
    reader = apiClient(serve.base, TOKENS.reader);
    ids = await failSome(api, 3);
    broken = await failSome(api, 2, 'broken');
    const groups = await api.get('/api/v1/failures?kind=broken&since=7d');
    assert.equal(groups.groups.length, 1, JSON.stringify(groups));
    brokenGroupUrl = `/ui/failures/${groups.groups[0].id}`;
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (serve) await serve.stop();
    if (dir && !process.env.KEEP_TEMP) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the shell with a strict CSP and the manifest', async () => {
    const r = await fetch(serve.base + '/ui/jobs/1');
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(await r.text(), /manifest\.webmanifest/);
    const m = await (await fetch(serve.base + '/ui/manifest.webmanifest')).json();
    assert.equal(m.display, 'standalone');
    assert.equal(m.start_url, '/ui/');
  });

  it('logs in, shows the failing kind on Now, retries its group and the jobs succeed', async () => {
    const { context, page, problems } = await newPage(browser, serve.base);
    await login(page, TOKENS.admin, '/ui/');
    await page.locator('.headline').waitFor();
    assert.doesNotMatch(await page.locator('.headline').innerText(), /All is well/);
    groupUrl = await retryGroupFlow(page, api, okFile, 3);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('pauses and resumes a queue', async () => {
    const { context, page, problems } = await newPage(browser, serve.base);
    await login(page, TOKENS.admin, '/ui/queues/default');
    let msg = await act(page, 'Pause', /Pause queue default\? Workers stop claiming its jobs/);
    assert.equal(msg, 'Queue default paused');
    let q = (await api.get('/api/v1/queues')).queues.find((x) => x.name === 'default');
    assert.equal(q.paused, true);
    await page.getByRole('button', { name: 'Resume', exact: true }).waitFor();
    msg = await act(page, 'Resume', /Resume queue default\?/);
    assert.equal(msg, 'Queue default resumed');
    q = (await api.get('/api/v1/queues')).queues.find((x) => x.name === 'default');
    assert.equal(q.paused, false);
    // The actions are on the queue's page, with who did them.
    await eventually(async () => (await page.locator('.audit li').count()) >= 2, { what: 'audit entries on the queue page' });
    assert.match(await page.locator('.audit').innerText(), /ops/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('silences an alert for 1 hour', async () => {
    const alert = await eventually(async () => {
      const r = await api.get('/api/v1/alerts?state=open');
      return (r.alerts || []).find((a) => a.labels && a.labels.kind === 'flaky');
    }, { what: 'an open alert about kind flaky' });
    const { context, page, problems } = await newPage(browser, serve.base);
    await login(page, TOKENS.admin, `/ui/alerts/${alert.id}`);
    const msg = await act(page, 'Silence 1 h', /silence this alert for 1 hour\?/);
    assert.match(msg, /^Alert silenced until /);
    const after = await api.get(`/api/v1/alerts/${alert.id}`);
    assert.ok(after.silenced_until, JSON.stringify(after));
    const until = new Date(after.silenced_until).getTime();
    assert.ok(until > Date.now() + 50 * 60e3 && until < Date.now() + 70 * 60e3, after.silenced_until);
    assert.equal(after.acked_by, 'ops');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('shows payloads and errors with markup as text and runs nothing', async () => {
    const { context, page, problems } = await newPage(browser, serve.base);
    await login(page, TOKENS.admin, `/ui/jobs/${broken[0]}`);
    await page.locator('pre.json').waitFor();
    assert.ok((await page.locator('pre.json').innerText()).includes(XSS));
    await page.locator('.attempts').waitFor();
    assert.ok((await page.locator('.attempts').textContent()).includes(XSS), 'the error output is shown as text');
    await page.goto(`/ui/jobs?kind=broken`);
    await page.locator('.cards.jobs li').first().waitFor();
    await page.goto(brokenGroupUrl);
    await page.locator('.facts').waitFor();
    await page.goto('/ui/');
    await page.locator('.headline').waitFor();
    // The discard alert quotes the job's output: shown as text on Now.
    await eventually(async () => (await page.locator('main').textContent()).includes(XSS), { what: 'the alert detail with markup as text on Now' });
    await page.goto('/ui/alerts');
    await page.locator('.cards li').first().waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => document.querySelectorAll('img[onerror]').length), 0);
    assert.deepEqual(problems, [], 'no alert() dialog, no script error');
    await context.close();
  });

  it('gives the read-only role no action buttons and the server refuses its actions', async () => {
    const { context, page, problems } = await newPage(browser, serve.base);
    await login(page, TOKENS.reader, '/ui/queues');
    for (const path of ['/ui/queues', '/ui/queues/default', brokenGroupUrl, `/ui/jobs/${broken[0]}`, '/ui/schedules/nightly-report',
      '/ui/checks/offsite-backup', '/ui/alerts?state=all']) {
      await page.goto(path);
      await page.locator('main h1').waitFor();
      await page.waitForFunction(() => !document.querySelector('.loading'));
      const buttons = await page.locator('main .actions button').count();
      assert.equal(buttons, 0, `no action buttons on ${path}`);
      for (const name of ['Pause', 'Resume', 'Retry', 'Cancel', 'Run now', 'Silence 1 h', 'Acknowledge']) {
        assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `${name} on ${path}`);
      }
    }
    // A forced POST with the session and a valid CSRF token: still refused.
    const status = await page.evaluate(async () => {
      const s = await (await fetch('/api/v1/session')).json();
      const r = await fetch('/api/v1/queues/default/pause', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf_token, 'Content-Type': 'application/json' }, body: '{}' });
      return r.status;
    });
    assert.equal(status, 403);
    await assert.rejects(reader.post('/api/v1/queues/default/pause'), (e) => e.status === 403);
    assert.equal((await api.get('/api/v1/queues')).queues.find((x) => x.name === 'default').paused, false);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('refuses a POST with the session cookie but without the CSRF token', async () => {
    const { context, page } = await newPage(browser, serve.base);
    await login(page, TOKENS.admin, '/ui/queues');
    const [without, wrong, withToken] = await page.evaluate(async () => {
      const post = (headers) => fetch('/api/v1/queues/default/pause', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' })
        .then(async (r) => ({ status: r.status, body: await r.text() }));
      const s = await (await fetch('/api/v1/session')).json();
      const a = await post({});
      const b = await post({ 'X-CSRF-Token': 'not-the-token' });
      const c = await post({ 'X-CSRF-Token': s.csrf_token });
      await fetch('/api/v1/queues/default/resume', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf_token, 'Content-Type': 'application/json' }, body: '{}' });
      return [a, b, c];
    });
    assert.equal(without.status, 403, without.body);
    assert.match(without.body, /CSRF/);
    assert.equal(wrong.status, 403, wrong.body);
    assert.equal(withToken.status, 200, 'the same request with the token works: ' + withToken.body);
    await context.close();
  });

  it('polls every 5 s while visible and not while the tab is hidden', async () => {
    const { context, page } = await newPage(browser, serve.base);
    // The page's timers run on Playwright's fake clock: time is advanced by
    // the test, so neither the polls nor their absence need real waiting.
    await context.clock.install();
    const overviewRequests = [];
    page.on('request', (r) => { if (r.url().includes('/api/v1/overview')) overviewRequests.push(r); });
    // Request events arrive in the order the page sent them: once a marker
    // request sent after `action` is seen, any poll `action` caused is too.
    const settle = async () => {
      const marker = page.waitForRequest((r) => r.url().includes('/api/v1/session?marker'));
      await page.evaluate(() => fetch('/api/v1/session?marker=1'));
      await marker;
    };
    await login(page, TOKENS.admin, '/ui/');
    await eventually(() => overviewRequests.length >= 1, { timeoutMs: 15000, what: 'the first GET /api/v1/overview' });
    const first = overviewRequests.length;
    await page.clock.runFor(5100);
    await eventually(() => overviewRequests.length > first, { timeoutMs: 5000, what: 'a poll 5 s later' });

    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await settle();
    const hiddenAt = overviewRequests.length;
    await page.clock.runFor(60_000);  // twelve poll intervals
    await settle();
    assert.equal(overviewRequests.length, hiddenAt, 'no polling while hidden');

    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await eventually(() => overviewRequests.length > hiddenAt, { timeoutMs: 5000, what: 'a refresh when shown again' });
    await context.close();
  });

  it('fits every page at 360 px, passes axe, and writes screenshots', async () => {
    const alerts = (await api.get('/api/v1/alerts?state=all')).alerts || [];
    const pages = [
      ['now', '/ui/'], ['activity', '/ui/activity'], ['jobs', '/ui/jobs'], ['job', `/ui/jobs/${broken[0]}`],
      ['failures', '/ui/failures?since=7d'], ['failure-group', brokenGroupUrl], ['schedules', '/ui/schedules'],
      ['schedule', '/ui/schedules/nightly-report'], ['checks', '/ui/checks'], ['check', '/ui/checks/offsite-backup'],
      ['alerts', '/ui/alerts?state=all'], ['alert', alerts.length ? `/ui/alerts/${alerts[0].id}` : '/ui/alerts'],
      ['queues', '/ui/queues'], ['queue', '/ui/queues/default'], ['nodes', '/ui/nodes'], ['more', '/ui/more'],
    ];
    // bypassCSP only so that axe can be injected as a script tag; the CSP
    // itself is checked above and by the XSS test.
    const { context, page, problems } = await newPage(browser, serve.base, { bypassCSP: true });
    const failures = [];
    const check = async (name, path, viewport, scheme) => {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(path);
      await page.locator('main h1').waitFor();
      await page.waitForFunction(() => !document.querySelector('.loading'));
      if (name === 'activity') await page.locator('.uplot').first().waitFor();
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      if (width > viewport.width) failures.push(`${name} (${path}) at ${viewport.width} px: scrollWidth ${width}`);
      await page.screenshot({ path: join(SHOTS, `${name}-${viewport.width === 360 ? 'phone' : 'desktop'}${scheme === 'dark' ? '-dark' : ''}.png`), });
      await page.addScriptTag({ path: AXE });
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          failures.push(`${name} ${viewport.width}px ${scheme}: axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        }
      }
    };
    await login(page, TOKENS.admin, '/ui/');
    for (const [name, path] of pages) {
      await check(name, path, PHONE, 'light');
      await check(name, path, PHONE, 'dark');
      await check(name, path, DESKTOP, 'light');
    }
    // The login page, signed out.
    await page.evaluate(() => fetch('/api/v1/session', { method: 'DELETE', headers: { 'X-CSRF-Token': 'x' } }));
    await context.clearCookies();
    await check('login', '/ui/login?next=%2Fui%2F', PHONE, 'light');
    await check('login', '/ui/login?next=%2Fui%2F', PHONE, 'dark');
    await check('login', '/ui/login?next=%2Fui%2F', DESKTOP, 'light');
    console.log(`screenshots in ${SHOTS}`);
    if (process.env.UPDATE_DOC_SCREENSHOTS === '1') {
      ensureDir(join(ROOT, 'docs', 'img'));
      for (const [name] of [...pages, ['login']]) {
        for (const suffix of ['phone', 'desktop']) copyFileSync(join(SHOTS, `${name}-${suffix}.png`), join(ROOT, 'docs', 'img', `dashboard-${name}-${suffix}.png`));
      }
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

const pgSkip = skip || postgresAvailable() || false;

describe('dashboard on PostgreSQL', { skip: pgSkip }, () => {
  let dir, pg, serve, api, browser, okFile;

  before(async () => {
    dir = tempDir('steward-web-pg-serve-');
    const cfg = writeConfig(dir);
    okFile = cfg.okFile;
    pg = await startPostgres();
    serve = await startSteward({ binary: BINARY, dir, db: pg.url, config: cfg.path });
    api = apiClient(serve.base, TOKENS.admin);
    await failSome(api, 2);
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (serve) await serve.stop();
    if (pg) pg.stop();
    if (dir && !process.env.KEEP_TEMP) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in, shows the failing kind on Now, retries its group and the jobs succeed', async () => {
    const { context, page, problems } = await newPage(browser, serve.base);
    await login(page, TOKENS.admin, '/ui/');
    await retryGroupFlow(page, api, okFile, 2);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
