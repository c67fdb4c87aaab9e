// Shared pieces of every page: polling, times, state badges, the confirm
// dialog behind every action and the result line after it. Everything a user
// or a job controls is passed to htm as a value, so Preact renders it as text
// (never as HTML).
import { html, useState, useEffect, useRef, useCallback } from './vendor/preact-htm.js';
import { canAct } from './api.js';

export { html };

// Changes the page without a reload (path routing under /ui/).
export function navigate(to, replace) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event('steward:navigate'));
  if (!replace) window.scrollTo(0, 0);
}

// ---- live data -----------------------------------------------------------

const POLL_MS = 5000;

// Loads `load()` now, again whenever `deps` change, and every 5 s while the
// tab is visible; a hidden tab polls nothing and refreshes when shown again.
export function usePoll(load, deps, intervalMs = POLL_MS) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const inFlight = useRef(false);
  // A slow server is not asked again while it still answers the last poll:
  // requests never pile up behind each other.
  const run = useCallback(async (force) => {
    if (inFlight.current && force !== true) return;
    inFlight.current = true;
    const mine = ++seq.current;
    try {
      const data = await load();
      if (mine === seq.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === seq.current) setState((s) => ({ data: s.data, error, loading: false }));
    } finally {
      if (mine === seq.current) inFlight.current = false;
    }
  }, deps);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    run(true);
    let timer = null;
    const start = () => {
      if (timer === null && intervalMs > 0) timer = setInterval(run, intervalMs);
    };
    const stop = () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    const onVisibility = () => {
      if (document.hidden) stop();
      else { run(); start(); }
    };
    if (!document.hidden) start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      seq.current++;
      inFlight.current = false;
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [run]);
  return { ...state, reload: () => run(true) };
}

// ---- formatting ----------------------------------------------------------

const absFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatAbs(at, timeZone) {
  if (!at) return '';
  const d = new Date(at);
  if (isNaN(d)) return String(at);
  if (!timeZone) return absFmt.format(d);
  try {
    return new Intl.DateTimeFormat(undefined, {
      weekday: 'short', year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short',
    }).format(d);
  } catch {
    return absFmt.format(d) + ' (unknown zone ' + timeZone + ')';
  }
}

export function ago(at, now = Date.now()) {
  if (!at) return 'never';
  const t = new Date(at).getTime();
  if (isNaN(t)) return String(at);
  const s = Math.round((now - t) / 1000);
  const abs = Math.abs(s);
  const f = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  let text;
  if (abs < 5) return 'just now';
  if (abs < 60) text = f(abs, 'second');
  else if (abs < 3600) text = f(Math.round(abs / 60), 'minute');
  else if (abs < 86400 * 2) text = f(Math.round(abs / 3600), 'hour');
  else text = f(Math.round(abs / 86400), 'day');
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

export function Time({ at, zone }) {
  if (!at) return html`<span class="muted">never</span>`;
  return html`<time datetime=${at} title=${formatAbs(at, zone)}>${ago(at)}</time>`;
}

export function duration(ms) {
  if (ms === null || ms === undefined || isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const parts = (big, bigUnit, small, smallUnit) => (small ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`);
  const m = Math.floor(s / 60);
  if (m < 60) return parts(m, 'min', Math.round(s % 60), 's');
  const h = Math.floor(m / 60);
  if (h < 24 || (h < 48 && m % 60)) return parts(h, 'h', m % 60, 'min');
  const d = Math.floor(h / 24);
  return parts(d, d === 1 ? 'day' : 'days', h % 24, 'h');
}

export function seconds(s) {
  return s === null || s === undefined ? '–' : duration(s * 1000);
}

export const plural = (n, one, many) => `${n} ${n === 1 ? one : many || one + 's'}`;

const STATE_TONE = {
  completed: 'ok', up: 'ok', alive: 'ok', resolved: 'ok', active: 'ok',
  running: 'info', available: 'info', scheduled: 'info', new: 'info',
  retryable: 'warn', late: 'warn', stale: 'warn', paused: 'warn', cancelled: 'muted',
  stopped: 'muted',
  discarded: 'bad', down: 'bad', open: 'bad', error: 'bad', warning: 'warn',
};

export function Badge({ state, text }) {
  const tone = STATE_TONE[state] || 'muted';
  return html`<span class=${'badge ' + tone}>${text || state}</span>`;
}

// ---- layout --------------------------------------------------------------

export function Page({ title, sub, children }) {
  useEffect(() => { document.title = title ? `${title} · Steward` : 'Steward'; }, [title]);
  return html`<section class="page">
    <h1>${title}</h1>
    ${sub ? html`<p class="sub">${sub}</p>` : null}
    ${children}
  </section>`;
}

export function Loading({ state, children }) {
  if (state.loading && !state.data) return html`<p class="muted loading" role="status">Loading…</p>`;
  if (state.error && !state.data) {
    return html`<p class="error" role="alert">${state.error.message}</p>`;
  }
  return html`${state.error ? html`<p class="error" role="alert">Not refreshed: ${state.error.message}</p>` : null}
    ${children(state.data)}`;
}

// A list of label: value rows.
export function Facts({ rows }) {
  return html`<dl class="facts">
    ${rows.filter(Boolean).map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}
  </dl>`;
}

export function Audit({ entries }) {
  if (!entries || entries.length === 0) {
    return html`<h2>History</h2><p class="muted">No actions recorded.</p>`;
  }
  return html`<h2>History</h2>
    <ul class="audit">
      ${entries.map((e) => html`<li>
        <span class="who">${e.actor}</span> ${e.action}${e.detail ? html` <span class="muted">(${typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)})</span>` : null}
        <br/><${Time} at=${e.at} />
      </li>`)}
    </ul>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

// ---- actions -------------------------------------------------------------

const listeners = new Set();
let pending = null;

// Opens the one confirm dialog; resolves true when the viewer confirms.
export function ask(question, confirmLabel, danger) {
  return new Promise((resolve) => {
    pending = { question, confirmLabel, danger, resolve };
    listeners.forEach((fn) => fn());
  });
}

export function ConfirmDialog() {
  const [, tick] = useState(0);
  const ref = useRef(null);
  useEffect(() => {
    const fn = () => tick((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  useEffect(() => {
    const d = ref.current;
    if (pending && d && !d.open) d.showModal();
  });
  const close = (yes) => {
    const p = pending;
    pending = null;
    if (ref.current && ref.current.open) ref.current.close();
    tick((n) => n + 1);
    if (p) p.resolve(yes);
  };
  const p = pending;
  return html`<dialog ref=${ref} class="confirm" aria-labelledby="confirm-q"
      onCancel=${(e) => { e.preventDefault(); close(false); }}>
    <p id="confirm-q">${p ? p.question : ''}</p>
    <div class="row">
      <button type="button" class="secondary" onClick=${() => close(false)}>Cancel</button>
      <button type="button" class=${p && p.danger ? 'danger' : 'primary'} onClick=${() => close(true)}>
        ${p ? p.confirmLabel : 'Confirm'}</button>
    </div>
  </dialog>`;
}

const noticeListeners = new Set();
let notices = [];
let noticeId = 0;

export function notify(text, tone = 'ok') {
  const id = ++noticeId;
  notices = [...notices, { id, text, tone }];
  noticeListeners.forEach((fn) => fn());
  setTimeout(() => {
    notices = notices.filter((n) => n.id !== id);
    noticeListeners.forEach((fn) => fn());
  }, tone === 'ok' ? 8000 : 15000);
}

export function Notices() {
  const [, tick] = useState(0);
  useEffect(() => {
    const fn = () => tick((n) => n + 1);
    noticeListeners.add(fn);
    return () => noticeListeners.delete(fn);
  }, []);
  return html`<div class="notices" role="status" aria-live="polite">
    ${notices.map((n) => html`<p key=${n.id} class=${'notice ' + n.tone}>${n.text}</p>`)}
  </div>`;
}

// A button that asks `confirm` first, then runs `run()`, whose resolved value
// is the sentence shown as the result ("Retried 37 jobs"). Not rendered for
// the read-only role: the server would refuse anyway.
export function Action({ label, confirm, confirmLabel, run, danger, done }) {
  const [busy, setBusy] = useState(false);
  if (!canAct()) return null;
  const onClick = async () => {
    if (!(await ask(confirm, confirmLabel || label, danger))) return;
    setBusy(true);
    try {
      const result = await run();
      notify(result || 'Done');
      if (done) done();
    } catch (e) {
      notify(`${label} failed: ${e.message}`, 'bad');
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class=${danger ? 'danger' : 'primary'} disabled=${busy}
    onClick=${onClick}>${busy ? label + '…' : label}</button>`;
}

export function Actions({ children }) {
  if (!canAct()) return null;
  return html`<div class="actions">${children}</div>`;
}

// Pretty JSON for payloads: text, never markup.
export function Json({ value }) {
  let text;
  try { text = JSON.stringify(value, null, 2); } catch { text = String(value); }
  return html`<pre class="json">${text}</pre>`;
}
