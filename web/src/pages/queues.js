// Queues (counts, lag, pause/resume) and Nodes (who is working).
import { get, post, seg } from '../api.js';
import { html, usePoll, Page, Loading, Time, Badge, Facts, Audit, Action, Actions, Empty, seconds, plural } from '../ui.js';

const COUNTS = ['available', 'scheduled', 'running', 'retryable', 'completed', 'discarded', 'cancelled'];

function QueueActions({ q, reload }) {
  const name = q.name;
  return html`<${Actions}>${q.paused
    ? html`<${Action} label="Resume" confirm=${`Resume queue ${name}? Workers start claiming its ${plural(q.due || 0, 'due job')}.`}
        run=${async () => { await post(`/api/v1/queues/${seg(name)}/resume`); return `Queue ${name} resumed`; }} done=${reload} />`
    : html`<${Action} label="Pause" danger confirm=${`Pause queue ${name}? Workers stop claiming its jobs (running jobs finish; nothing is lost).`}
        confirmLabel="Pause"
        run=${async () => { await post(`/api/v1/queues/${seg(name)}/pause`); return `Queue ${name} paused`; }} done=${reload} />`}<//>`;
}

function lag(q) {
  return q.oldest_due_age_seconds === null || q.oldest_due_age_seconds === undefined ? 'none' : seconds(q.oldest_due_age_seconds);
}

export function QueuesPage() {
  const state = usePoll(() => get('/api/v1/queues'), []);
  return html`<${Page} title="Queues">
    <${Loading} state=${state}>${(d) => {
      const list = d.queues || [];
      if (list.length === 0) return html`<${Empty}>No queues yet.<//>`;
      return html`<ul class="cards">${list.map((q) => html`<li key=${q.name} class="card">
        <span class="line"><a href=${'/ui/queues/' + seg(q.name)}><strong>${q.name}</strong></a>
          ${q.paused ? html`<${Badge} state="paused" />` : html`<${Badge} state="active" text="active" />`}</span>
        <span class="meta">${q.due ?? 0} due · oldest waiting ${lag(q)} · ${(q.jobs && q.jobs.running) || 0} running · ${(q.jobs && q.jobs.discarded) || 0} discarded</span>
        <${QueueActions} q=${q} reload=${state.reload} />
      </li>`)}</ul>`;
    }}<//>
  <//>`;
}

export function QueuePage({ params }) {
  const [name] = params;
  const state = usePoll(async () => {
    try {
      return await get('/api/v1/queues/' + seg(name));
    } catch (e) {
      if (e.status !== 404 && e.status !== 405) throw e;
      const all = await get('/api/v1/queues');
      const q = (all.queues || []).find((x) => x.name === name);
      if (!q) throw e;
      return q;
    }
  }, [name]);
  return html`<${Page} title=${'Queue ' + name}>
    <${Loading} state=${state}>${(q) => html`
      <p class="lead">${q.paused ? html`<${Badge} state="paused" />` : html`<${Badge} state="active" text="active" />`}</p>
      <${QueueActions} q=${q} reload=${state.reload} />
      <${Facts} rows=${[
        ['Due now', String(q.due ?? 0)],
        ['Oldest due job waiting', lag(q)],
        ...COUNTS.map((k) => [k, html`<a href=${'/ui/jobs?queue=' + seg(name) + '&state=' + k}>${(q.jobs && q.jobs[k]) || 0}</a>`]),
      ]} />
      <p><a href=${'/ui/activity?queue=' + seg(name)}>Activity of this queue</a></p>
      <${Audit} entries=${q.audit} />`}<//>
  <//>`;
}

export function NodesPage() {
  const state = usePoll(() => get('/api/v1/nodes'), []);
  return html`<${Page} title="Nodes">
    <${Loading} state=${state}>${(d) => {
      const list = d.nodes || [];
      if (list.length === 0) return html`<${Empty}>No nodes have reported.<//>`;
      return html`<ul class="cards">${list.map((n) => html`<li key=${n.id} class="card">
        <span class="line"><strong class="mono">${n.host}</strong> <${Badge} state=${n.status} /></span>
        <span class="meta">pid ${n.pid} · ${n.version} · ${n.running} running · queues ${(n.queues || []).join(', ')}</span>
        <span class="meta">started <${Time} at=${n.started_at} /> · last seen <${Time} at=${n.last_seen_at} />${n.stopped_at ? html` · stopped <${Time} at=${n.stopped_at} />` : null}</span>
        <span class="meta mono small">${n.id}</span>
      </li>`)}</ul>`;
    }}<//>
  <//>`;
}
