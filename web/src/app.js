// The dashboard's shell: session check, path routing under /ui/, navigation,
// the confirm dialog and result notices. Pages live in pages/*.js.
import { html, render, useState, useEffect } from './vendor/preact-htm.js';
import { loadSession, session, logout, safeNext, loginUrl, prefetch } from './api.js';
import { ConfirmDialog, Notices, navigate } from './ui.js';
import { NowPage } from './pages/now.js';

// Only the Now page (the landing page) is in the first load; the others are
// fetched when first opened, so a phone downloads little to see what is wrong.
function lazy(load, name) {
  let loaded = null;
  return function LazyPage(props) {
    const [Page, setPage] = useState(() => loaded);
    const [error, setError] = useState(null);
    useEffect(() => {
      if (Page) return;
      load().then((m) => { loaded = m[name]; setPage(() => loaded); }, setError);
    }, []);
    if (error) return html`<section class="page"><p class="error" role="alert">Could not load the page: ${error.message}</p></section>`;
    if (!Page) return html`<section class="page"><p class="muted loading" role="status">Loading…</p></section>`;
    return html`<${Page} ...${props} />`;
  };
}
const jobs = () => import('./pages/jobs.js');
const failures = () => import('./pages/failures.js');
const schedules = () => import('./pages/schedules.js');
const checks = () => import('./pages/checks.js');
const alerts = () => import('./pages/alerts.js');
const queues = () => import('./pages/queues.js');
const JobsPage = lazy(jobs, 'JobsPage');
const JobPage = lazy(jobs, 'JobPage');
const FailuresPage = lazy(failures, 'FailuresPage');
const FailurePage = lazy(failures, 'FailurePage');
const SchedulesPage = lazy(schedules, 'SchedulesPage');
const SchedulePage = lazy(schedules, 'SchedulePage');
const ChecksPage = lazy(checks, 'ChecksPage');
const CheckPage = lazy(checks, 'CheckPage');
const AlertsPage = lazy(alerts, 'AlertsPage');
const AlertPage = lazy(alerts, 'AlertPage');
const QueuesPage = lazy(queues, 'QueuesPage');
const QueuePage = lazy(queues, 'QueuePage');
const NodesPage = lazy(queues, 'NodesPage');
const ActivityPage = lazy(() => import('./pages/activity.js'), 'ActivityPage');
const LoginPage = lazy(() => import('./pages/login.js'), 'LoginPage');

const ROUTES = [
  [/^\/ui\/?$/, NowPage],
  [/^\/ui\/activity$/, ActivityPage],
  [/^\/ui\/jobs$/, JobsPage],
  [/^\/ui\/jobs\/([^/]+)$/, JobPage],
  [/^\/ui\/failures$/, FailuresPage],
  [/^\/ui\/failures\/([^/]+)$/, FailurePage],
  [/^\/ui\/schedules$/, SchedulesPage],
  [/^\/ui\/schedules\/([^/]+)$/, SchedulePage],
  [/^\/ui\/checks$/, ChecksPage],
  [/^\/ui\/checks\/([^/]+)$/, CheckPage],
  [/^\/ui\/alerts$/, AlertsPage],
  [/^\/ui\/alerts\/([^/]+)$/, AlertPage],
  [/^\/ui\/queues$/, QueuesPage],
  [/^\/ui\/queues\/([^/]+)$/, QueuePage],
  [/^\/ui\/nodes$/, NodesPage],
  [/^\/ui\/more$/, MorePage],
  [/^\/ui\/login$/, LoginPage],
];

// The phone's bottom bar shows the first four and "More"; a wide screen
// shows them all in a side bar.
const NAV = [
  ['/ui/', 'Now', 'now'],
  ['/ui/jobs', 'Jobs', 'jobs'],
  ['/ui/failures', 'Failures', 'failures'],
  ['/ui/alerts', 'Alerts', 'alerts'],
  ['/ui/activity', 'Activity', 'activity'],
  ['/ui/schedules', 'Schedules', 'schedules'],
  ['/ui/checks', 'Checks', 'checks'],
  ['/ui/queues', 'Queues', 'queues'],
  ['/ui/nodes', 'Nodes', 'nodes'],
];
const PRIMARY = 4;

function section(path) {
  const m = path.match(/^\/ui\/([^/]*)/);
  return m && m[1] ? m[1] : 'now';
}

function MorePage() {
  return html`<section class="page"><h1>More</h1>
    <ul class="cards more">
      ${NAV.slice(PRIMARY).map(([href, label]) => html`<li><a class="card link" href=${href}>${label}</a></li>`)}
    </ul>
    <${Account} />
  </section>`;
}

function Account() {
  const out = async () => {
    await logout();
    location.assign('/ui/login');
  };
  if (session.open) return html`<p class="muted">Open local access (no tokens configured).</p>`;
  return html`<p class="account">Signed in as <strong>${session.name}</strong> (${session.role}).
    <button type="button" class="secondary" onClick=${out}>Sign out</button></p>`;
}

function Nav({ path }) {
  const here = section(path);
  const current = (key) => key === here || (key === 'now' && here === '');
  const moreActive = NAV.slice(PRIMARY).some(([, , key]) => current(key)) || here === 'more';
  return html`<nav class="nav" aria-label="Main">
    <a class="brand" href="/ui/"><img src="/ui/icon.svg" alt="" width="28" height="28" /><span>Steward</span></a>
    <ul>
      ${NAV.map(([href, label, key], i) => html`<li class=${i < PRIMARY ? 'primary' : 'secondary'}>
        <a href=${href} aria-current=${current(key) ? 'page' : undefined}>${label}</a></li>`)}
      <li class="more-link"><a href="/ui/more" aria-current=${moreActive ? 'page' : undefined}>More</a></li>
    </ul>
    <div class="nav-account"><${Account} /></div>
  </nav>`;
}

function route(path) {
  for (const [re, page] of ROUTES) {
    const m = path.match(re);
    if (m) return { page, params: m.slice(1).map(decodeURIComponent) };
  }
  return { page: NotFound, params: [] };
}

function NotFound() {
  return html`<section class="page"><h1>Not found</h1><p>No page at this address. <a href="/ui/">Go to Now</a>.</p></section>`;
}

function App() {
  const [loc, setLoc] = useState(location.pathname + location.search);
  const [ready, setReady] = useState(false);
  const [fatal, setFatal] = useState(null);
  useEffect(() => {
    const onNav = () => setLoc(location.pathname + location.search);
    window.addEventListener('popstate', onNav);
    window.addEventListener('steward:navigate', onNav);
    return () => {
      window.removeEventListener('popstate', onNav);
      window.removeEventListener('steward:navigate', onNav);
    };
  }, []);
  useEffect(() => {
    loadSession().then((s) => {
      if (!s && location.pathname !== '/ui/login') {
        location.replace(loginUrl());
        return;
      }
      setReady(true);
    }, (e) => setFatal(e));
  }, []);
  const path = loc.split('?')[0];
  const query = new URLSearchParams(loc.includes('?') ? loc.slice(loc.indexOf('?')) : '');
  if (fatal) return html`<main id="main" class="page"><h1>Steward</h1><p class="error" role="alert">${fatal.message}</p></main>`;
  if (!ready) return html`<main id="main" class="page"><p class="muted loading" role="status">Loading…</p></main>`;
  if (path === '/ui/login') {
    return html`<main id="main"><${LoginPage} query=${query} onDone=${(next) => navigate(safeNext(next), true)} /></main>`;
  }
  const { page: Page, params } = route(path);
  return html`<a class="skip" href="#main">Skip to content</a>
    <${Nav} path=${path} />
    <main id="main" tabindex="-1"><${Page} key=${path} params=${params} query=${query} /></main>
    <${Notices} />
    <${ConfirmDialog} />`;
}

// Links inside the app change the page without a reload.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest && e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href.startsWith('/ui/') || href.startsWith('/ui/vendor/')) return;
  e.preventDefault();
  navigate(href);
});

// The Now page's data is asked for while the session is checked.
if (location.pathname === '/ui/' || location.pathname === '/ui') prefetch('/api/v1/overview');

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
