// Real components for the dashboard's browser tests: a `steward serve`
// process (SQLite file or a throwaway PostgreSQL cluster), Debian's Chromium
// through playwright-core, and polling helpers (no sleeps as synchronisation).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync, openSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export const XSS = '<img src=x onerror=alert(1)>';

export function tempDir(prefix) {
  return mkdtempSync(join(process.env.TMPDIR || tmpdir(), prefix));
}

// Polls `fn` until it returns a truthy value (returned) or `timeoutMs`
// passes (throws with the last value or error).
export async function eventually(fn, { timeoutMs = 30000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.stack : JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// The config of the test daemon. `flaky` fails (and prints the XSS string to
// stderr) until the file `ok` exists in `dir`: the test creates it after the
// first failures, so a retry of the group succeeds.
export function writeConfig(dir) {
  const ok = join(dir, 'ok');
  const script = `cat >/dev/null; if [ -f '${ok}' ]; then exit 0; fi; echo '${XSS} flaky failed' >&2; exit 1`;
  const toml = `log_format = "json"
log_level = "info"

[worker]
poll_interval = "100ms"
retry_base = "1s"
retry_max = "1s"

[queues.default]
concurrency = 4

[queues.mail]
concurrency = 2

[kinds.flaky]
type = "exec"
command = ["/bin/sh", "-c", ${JSON.stringify(script)}]
timeout = "30s"

# Always fails: its failure group stays for the pages checked after the retry.
[kinds.broken]
type = "exec"
command = ["/bin/sh", "-c", ${JSON.stringify(`cat >/dev/null; echo '${XSS} broken for account 42' >&2; exit 3`)}]

[schedules.nightly-report]
cron = "30 2 * * *"
timezone = "Europe/Berlin"
kind = "report.build"

[checks.offsite-backup]
period = "1d"
grace = "1h"

[alerts]
group_wait = "1s"
`;
  const path = join(dir, 'steward.toml');
  writeFileSync(path, toml);
  return { path, okFile: ok };
}

export const TOKENS = {
  admin: 'adm1n-dashboard-e2e-token-4f1d',
  reader: 'r3ad-dashboard-e2e-token-93ab',
};

// Starts `steward serve` on 127.0.0.1 with a free port; resolves when its log
// says "http listening".
export async function startSteward({ binary, dir, db, config }) {
  const log = join(dir, 'serve.log');
  const out = openSync(log, 'a');
  const env = {
    ...process.env,
    STEWARD_API_TOKENS: `ops:admin:${TOKENS.admin},viewer:read-only:${TOKENS.reader}`,
  };
  delete env.STEWARD_ADMIN_TOKEN;
  const child = spawn(binary, ['--config', config, '--db', db, 'serve', '--listen', '127.0.0.1:0'], {
    env, stdio: ['ignore', out, out], cwd: dir,
  });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  child.on('error', (e) => { exited = { error: e.message }; });
  const port = await eventually(() => {
    if (exited) throw new Error(`steward serve exited ${JSON.stringify(exited)}:\n${readFileSync(log, 'utf8')}`);
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const j = JSON.parse(line);
        if (j.msg === 'http listening') return Number(String(j.address).split(':').pop());
      } catch { /* a partial line */ }
    }
    return 0;
  }, { what: '"http listening" in ' + log });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    await done;
    clearTimeout(timer);
  };
  return { base, port, stop, log, child };
}

// A JSON API client with a bearer token (the test's own view of the truth).
export function apiClient(base, token) {
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!res.ok) {
      const e = new Error(`${method} ${path}: ${res.status} ${text}`);
      e.status = res.status;
      throw e;
    }
    return data;
  };
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b === undefined ? {} : b),
  };
}

// ---- a throwaway PostgreSQL cluster, as tests/support/pg_harness.cc ----

const PG_BIN = '/usr/lib/postgresql/15/bin';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function postgresAvailable() {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl'))) return `no ${PG_BIN}/initdb`;
  if (process.getuid() === 0) {
    try { execFileSync('id', ['postgres'], { stdio: 'ignore' }); } catch { return 'no postgres OS user'; }
  }
  return '';
}

function asPostgres(cmd) {
  const argv = process.getuid() === 0 ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd;
  return execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

// initdb + pg_ctl start into a temp dir, as the postgres user when root.
export async function startPostgres() {
  const dir = tempDir('steward-web-pg-');
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  if (process.getuid() === 0) execFileSync('chown', ['postgres', dir]);
  asPostgres([join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} ` +
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100';
    try {
      asPostgres([join(PG_BIN, 'pg_ctl'), 'start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'postgres.log'), '-o', opts]);
      const stop = () => {
        try { asPostgres([join(PG_BIN, 'pg_ctl'), 'stop', '-m', 'immediate', '-w', '-D', data]); } catch { /* already gone */ }
        rmSync(dir, { recursive: true, force: true });
      };
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error('pg_ctl start failed: ' + (lastError && lastError.stderr ? lastError.stderr.toString() : lastError));
}

export function ensureDir(d) {
  mkdirSync(d, { recursive: true });
  return d;
}
