// Schedules: when each fires next (in its own zone and the viewer's), how
// the last run went, its catch-up and overlap policy; pause, resume, run now.
import { get, post, seg } from '../api.js';
import { html, usePoll, Page, Loading, Time, Badge, Facts, Audit, Action, Actions, Empty, formatAbs } from '../ui.js';

const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const zoneOf = (s) => s.time_zone || s.timezone || 'UTC';

export function outcome(s) {
  const ok = s.last_success_at ? new Date(s.last_success_at).getTime() : 0;
  const bad = s.last_failure_at ? new Date(s.last_failure_at).getTime() : 0;
  if (!ok && !bad) return s.last_fired_at ? ['running', 'fired'] : ['new', 'not run yet'];
  return bad > ok ? ['discarded', 'failed'] : ['completed', 'succeeded'];
}

function ScheduleActions({ s, reload }) {
  const name = s.name;
  return html`<${Actions}>
    ${s.paused
      ? html`<${Action} label="Resume" confirm=${`Resume schedule ${name}? It fires again from its next time.`}
          run=${async () => { await post(`/api/v1/schedules/${seg(name)}/resume`); return `Schedule ${name} resumed`; }} done=${reload} />`
      : html`<${Action} label="Pause" danger confirm=${`Pause schedule ${name}? It enqueues no jobs until resumed.`}
          confirmLabel="Pause"
          run=${async () => { await post(`/api/v1/schedules/${seg(name)}/pause`); return `Schedule ${name} paused`; }} done=${reload} />`}
    <${Action} label="Run now" confirm=${`Enqueue one ${s.kind} job of schedule ${name} now?`}
      run=${async () => { const r = await post(`/api/v1/schedules/${seg(name)}/trigger`); return `Enqueued job #${r.job_id}`; }} done=${reload} />
  <//>`;
}

export function SchedulesPage() {
  const state = usePoll(() => get('/api/v1/schedules'), []);
  return html`<${Page} title="Schedules">
    <${Loading} state=${state}>${(d) => {
      const list = d.schedules || [];
      if (list.length === 0) return html`<${Empty}>No schedules.<//>`;
      return html`<ul class="cards">${list.map((s) => {
        const [tone, text] = outcome(s);
        return html`<li key=${s.name}><a class="card link" href=${'/ui/schedules/' + seg(s.name)}>
          <span class="line"><strong>${s.name}</strong> ${s.paused ? html`<${Badge} state="paused" />` : html`<${Badge} state=${tone} text=${text} />`}</span>
          <span class="meta"><span class="mono">${s.cron}</span> (${zoneOf(s)}) · ${s.kind}</span>
          <span class="meta">next ${s.next_fire_at ? html`<${Time} at=${s.next_fire_at} zone=${zoneOf(s)} />` : 'never'} · last run <${Time} at=${s.last_fired_at} /></span>
        </a></li>`;
      })}</ul>`;
    }}<//>
  <//>`;
}

const CATCH_UP = {
  skip: 'skip: missed fires are not run',
  latest: 'latest: only the most recent missed fire runs',
  all: 'all: every missed fire runs',
};
const OVERLAP = {
  allow: 'allow: a new run starts even if the last is still going',
  forbid: 'forbid: skipped while the last run is unfinished',
  replace: 'replace: the unfinished run is cancelled',
};

export function SchedulePage({ params }) {
  const [name] = params;
  const state = usePoll(() => get('/api/v1/schedules/' + seg(name)), [name]);
  return html`<${Page} title=${'Schedule ' + name}>
    <${Loading} state=${state}>${(s) => {
      const zone = zoneOf(s);
      const mine = viewerZone();
      const fires = s.next_fires && s.next_fires.length ? s.next_fires : (s.next_fire_at ? [s.next_fire_at] : []);
      const [tone, text] = outcome(s);
      return html`<p class="lead"><span class="mono">${s.cron}</span> ${s.paused ? html`<${Badge} state="paused" />` : null}</p>
        <${ScheduleActions} s=${s} reload=${state.reload} />
        <h2>Next fires</h2>
        ${fires.length === 0 ? html`<p class="muted">None${s.paused ? ' (paused)' : ''}.</p>` : html`<ol class="fires">
          ${fires.map((f) => html`<li><span>${formatAbs(f, zone)}</span>
            ${zone !== mine ? html`<span class="muted">${formatAbs(f, mine)} your time</span>` : null}</li>`)}
        </ol>`}
        <${Facts} rows=${[
          ['Time zone', zone + (zone !== mine ? ` (yours: ${mine})` : '')],
          ['Job', html`<span class="kind">${s.kind}</span> on queue ${s.queue}`],
          ['Last run', html`<${Time} at=${s.last_fired_at} /> <${Badge} state=${tone} text=${text} />`],
          s.last_job_id ? ['Last job', html`<a href=${'/ui/jobs/' + s.last_job_id}>#${s.last_job_id}</a>`] : null,
          ['Last success', html`<${Time} at=${s.last_success_at} />`],
          ['Last failure', html`<${Time} at=${s.last_failure_at} />`],
          s.consecutive_failures ? ['Failures in a row', String(s.consecutive_failures)] : null,
          ['Catch-up', (CATCH_UP[s.catch_up] || s.catch_up) + (s.catch_up === 'all' && s.max_catch_up ? ` (at most ${s.max_catch_up})` : '')],
          ['Overlap', OVERLAP[s.overlap] || s.overlap],
          s.skipped_count ? ['Skipped fires', String(s.skipped_count)] : null,
          ['Declared in', s.source],
        ]} />
        <${Audit} entries=${s.audit} />`;
    }}<//>
  <//>`;
}
