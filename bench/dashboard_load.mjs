// Measures the dashboard's first load with 1,000,000 jobs in the database:
// bytes transferred (as sent on the wire, gzip) and the time until the Now
// page shows its data, in headless Chromium on loopback; median of 5 cold
// loads (a fresh browser context each: no cache).
//
//   node bench/dashboard_load.mjs [--binary build/src/steward] [--jobs 1000000] [--runs 5]
//
// Needs `npm ci` in web/ and /usr/bin/chromium. The jobs are written with
// sqlite3 directly into the schema `steward migrate` created (seconds, not
// minutes), with the queue counts filled in as migration 5 does: 90% completed, 5% discarded with an error, 4% cancelled, 1%
// scheduled for tomorrow, over 10 kinds and 3 queues, spread over 24 hours.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../web/tools/chromium.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
};
const BINARY = resolve(arg('binary', process.env.STEWARD_BINARY || join(ROOT, 'build', 'src', 'steward')));
const JOBS = Number(arg('jobs', 1000000));
const RUNS = Number(arg('runs', 5));
const TOKEN = 'bench-dashboard-admin-token-1';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function fill(dbPath) {
  execFileSync(BINARY, ['--db', 'sqlite://' + dbPath, 'migrate'], { stdio: 'inherit' });
  const nowUs = Date.now() * 1000;
  const sql = `
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${JOBS})
INSERT INTO jobs (queue, kind, payload, priority, run_at, attempt, max_attempts, state, created_at, started_at, finished_at)
SELECT
  CASE i % 3 WHEN 0 THEN 'default' WHEN 1 THEN 'mail' ELSE 'reports' END,
  'kind_' || (i % 10),
  '{"account_id":' || (i % 5000) || ',"n":' || i || '}',
  0,
  CASE WHEN i % 100 = 0 THEN ${nowUs} + 86400000000 ELSE ${nowUs} - (${JOBS} - i) * 86400 END,
  CASE WHEN i % 100 = 0 THEN 0 ELSE 1 END,
  3,
  CASE WHEN i % 100 = 0 THEN 'scheduled' WHEN i % 20 = 1 THEN 'discarded' WHEN i % 25 = 2 THEN 'cancelled' ELSE 'completed' END,
  ${nowUs} - (${JOBS} - i) * 86400,
  CASE WHEN i % 100 = 0 THEN NULL ELSE ${nowUs} - (${JOBS} - i) * 86400 + 1000 END,
  CASE WHEN i % 100 = 0 THEN NULL ELSE ${nowUs} - (${JOBS} - i) * 86400 + 50000 END
FROM n;
INSERT INTO job_errors (job_id, attempt, at, message, detail)
SELECT id, 1, finished_at, 'connection refused to 10.0.0.' || (id % 200) || ':25 after ' || (id % 3000) || ' ms', '' FROM jobs WHERE state = 'discarded';
-- Written behind the store's back: its finished counts (migration 5) are
-- filled in here, as the migration does for existing jobs.
DELETE FROM job_counts;
INSERT INTO job_counts (queue, state, n)
SELECT queue, state, count(*) FROM jobs WHERE state IN ('completed', 'discarded', 'cancelled') GROUP BY queue, state;
COMMIT;
ANALYZE;`;
  execFileSync('sqlite3', [dbPath], { input: sql, stdio: ['pipe', 'ignore', 'inherit'] });
}

async function startServe(dir, dbPath) {
  const config = join(dir, 'steward.toml');
  // Retention off: the filled history must stay for the measurement.
  writeFileSync(config, 'log_format = "json"\n[worker]\nkeep_completed = "0s"\nkeep_failed = "0s"\n');
  const log = join(dir, 'serve.log');
  const out = openSync(log, 'a');
  const child = spawn(BINARY, ['--config', config, '--db', 'sqlite://' + dbPath, 'serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, STEWARD_API_TOKENS: `bench:admin:${TOKEN}` }, stdio: ['ignore', out, out],
  });
  const deadline = Date.now() + 120000;
  for (;;) {
    const line = readFileSync(log, 'utf8').split('\n').find((l) => l.includes('"http listening"'));
    if (line) return { child, base: `http://127.0.0.1:${JSON.parse(line).address.split(':').pop()}` };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('steward serve did not start:\n' + readFileSync(log, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sessionCookie(base) {
  const r = await fetch(base + '/api/v1/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: TOKEN }),
  });
  if (!r.ok) throw new Error('login failed: ' + r.status + ' ' + (await r.text()));
  const m = (r.headers.get('set-cookie') || '').match(/steward_session=([^;]+)/);
  if (!m) throw new Error('no steward_session cookie');
  return m[1];
}

async function loadOnce(browser, base, cookie) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  await context.addCookies([{ name: 'steward_session', value: cookie, url: base }]);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  const files = new Map();
  const urls = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    files.set(urls.get(e.requestId), e.encodedDataLength);
  });
  await page.goto(base + '/ui/');
  await page.waitForFunction(() => window.__stewardNowRendered !== undefined, null, { timeout: 300000 });
  const rendered = await page.evaluate(() => window.__stewardNowRendered);
  if (process.env.TIMINGS) {
    console.log(await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return [`html ${nav.responseStart.toFixed(0)}-${nav.responseEnd.toFixed(0)} dcl ${nav.domContentLoadedEventEnd.toFixed(0)}`,
        ...performance.getEntriesByType('resource').map((r) => `${r.name.replace(location.origin, '')} ${r.startTime.toFixed(0)}-${r.responseEnd.toFixed(0)}`)].join('\n');
    }));
  }
  const apiMs = await page.evaluate(() => {
    const e = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/v1/overview'));
    return e ? e.duration : null;
  });
  // Whatever was still in flight when the data showed is counted too.
  await page.waitForLoadState('networkidle');
  await context.close();
  return { bytes, rendered, apiMs, files };
}

const dir = mkdtempSync(join(tmpdir(), 'steward-dashboard-bench-'));
let serve;
let browser;
try {
  const dbPath = join(dir, 'bench.db');
  let t = Date.now();
  fill(dbPath);
  const count = execFileSync('sqlite3', [dbPath, 'SELECT count(*) FROM jobs'], { encoding: 'utf8' }).trim();
  console.log(`filled ${count} jobs in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  serve = await startServe(dir, dbPath);
  const cookie = await sessionCookie(serve.base);
  browser = await launchBrowser();
  await loadOnce(browser, serve.base, cookie); // warm-up: the server's first queries, page cache
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await loadOnce(browser, serve.base, cookie);
    runs.push(r);
    console.log(`run ${i + 1}: ${r.bytes} bytes transferred, Now page data shown at ${r.rendered.toFixed(1)} ms (GET /api/v1/overview ${r.apiMs === null ? '?' : r.apiMs.toFixed(1)} ms)`);
  }
  const last = runs[runs.length - 1];
  for (const [u, n] of [...last.files].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${u.replace(serve.base, '')}`);
  console.log(`median of ${RUNS}: ${median(runs.map((r) => r.bytes))} bytes (${(median(runs.map((r) => r.bytes)) / 1024).toFixed(1)} KiB) transferred; ` +
    `rendered in ${median(runs.map((r) => r.rendered)).toFixed(1)} ms; overview API ${median(runs.map((r) => r.apiMs ?? 0)).toFixed(1)} ms ` +
    `(${count} jobs, SQLite, loopback, headless Chromium)`);
} finally {
  if (browser) await browser.close();
  if (serve) {
    serve.child.kill('SIGTERM');
    await new Promise((r) => serve.child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}
