// Now: is all well? If not, what needs a human, each with a link to the page
// that explains it.
import { get } from '../api.js';
import { html, usePoll, Page, Loading, Time, Badge, plural } from '../ui.js';
import { useEffect } from '../vendor/preact-htm.js';

function Counts({ o }) {
  const items = [
    ['Open alerts', o.alerts_open, '/ui/alerts', o.alerts_open > 0],
    ['Checks down', o.checks_down, '/ui/checks', o.checks_down > 0],
    ['Checks late', o.checks_late, '/ui/checks', o.checks_late > 0],
    ['Queues lagging', o.queues_lagging, '/ui/queues', o.queues_lagging > 0],
    ['Discarded (24 h)', o.discarded_24h, '/ui/failures', o.discarded_24h > 0],
    ['Nodes alive', o.nodes_alive, '/ui/nodes', false],
    ['Nodes stale', o.nodes_stale, '/ui/nodes', o.nodes_stale > 0],
  ];
  return html`<ul class="counts">
    ${items.map(([label, n, href, bad]) => html`<li>
      <a class=${'count' + (bad ? ' bad' : '')} href=${href}>
        <span class="n">${n ?? '–'}</span><span class="label">${label}</span></a></li>`)}
  </ul>`;
}

function Problem({ p }) {
  const body = html`<${Badge} state=${p.severity} text=${p.severity === 'error' ? 'Problem' : 'Warning'} />
    <strong class="title">${p.title}</strong>
    ${p.detail ? html`<span class="detail">${p.detail}</span>` : null}`;
  return html`<li>${p.link
    ? html`<a class=${'card link problem sev-' + p.severity} href=${p.link}>${body}</a>`
    : html`<div class=${'card problem sev-' + p.severity}>${body}</div>`}</li>`;
}

function Overview({ o }) {
  // Lets bench/dashboard_load.mjs time the first render with data.
  useEffect(() => {
    if (!window.__stewardNowRendered) {
      window.__stewardNowRendered = performance.now();
      performance.mark('steward-now-rendered');
    }
  }, []);
  const problems = o.problems || [];
  const db = o.database || {};
  return html`<div data-loaded="now">
    <p class=${'headline ' + (o.ok ? 'ok' : 'bad')} role="status">
      <span aria-hidden="true">${o.ok ? '✓' : '!'}</span> ${o.headline || (o.ok ? 'All is well' : plural(problems.length, 'problem') + ' need attention')}
    </p>
    ${problems.length > 0 ? html`<ul class="cards problems">${problems.map((p, i) => html`<${Problem} key=${i} p=${p} />`)}</ul>` : null}
    <${Counts} o=${o} />
    <p class="muted small">Database (${db.backend || '?'}): ${db.reachable === false ? 'unreachable' : 'reachable'}${db.error ? ` – ${db.error}` : ''}.
      Updated <${Time} at=${o.generated_at} />.</p>
  </div>`;
}

export function NowPage() {
  const state = usePoll(() => get('/api/v1/overview'), []);
  return html`<${Page} title="Now">
    <${Loading} state=${state}>${(o) => html`<${Overview} o=${o} />`}<//>
  <//>`;
}
