// Jobs: find jobs by state, queue, kind, error text or a payload field; and
// one job: its payload, every attempt, a timeline, retry/cancel, history.
import { get, post, url, seg } from '../api.js';
import {
  html, usePoll, Page, Loading, Time, Badge, Facts, Audit, Action, Actions, Json, Empty,
  duration, formatAbs, plural, navigate,
} from '../ui.js';
import { useState, useEffect } from '../vendor/preact-htm.js';

export const STATES = ['scheduled', 'available', 'running', 'retryable', 'completed', 'discarded', 'cancelled'];
const FILTERS = ['state', 'queue', 'kind', 'error', 'payload'];
const PAGE = 50;

export function errorText(e) {
  if (!e) return '';
  return typeof e === 'string' ? e : e.message || '';
}

export function JobCard({ job }) {
  const err = errorText(job.last_error);
  return html`<li><a class="card link job" href=${'/ui/jobs/' + job.id}>
    <span class="line"><strong>#${job.id}</strong> <span class="kind">${job.kind}</span>
      <${Badge} state=${job.state} /></span>
    <span class="meta">queue ${job.queue} · attempt ${job.attempt}/${job.max_attempts} ·
      created <${Time} at=${job.created_at} /></span>
    ${err && job.state === 'completed' ? html`<span class="meta">earlier error: ${err}</span>` : null}
    ${err && job.state !== 'completed' ? html`<span class="err">${err}</span>` : null}
  </a></li>`;
}

function Filters({ query }) {
  const [values, setValues] = useState(() => Object.fromEntries(FILTERS.map((f) => [f, query.get(f) || ''])));
  const set = (k) => (e) => setValues({ ...values, [k]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    navigate(url('/ui/jobs', values), true);
  };
  const clear = () => {
    setValues(Object.fromEntries(FILTERS.map((f) => [f, ''])));
    navigate('/ui/jobs', true);
  };
  return html`<form class="filters" onSubmit=${submit} role="search">
    <label>State<select value=${values.state} onChange=${set('state')}>
      <option value="">any</option>
      ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
    </select></label>
    <label>Queue<input value=${values.queue} onInput=${set('queue')} autocapitalize="off" /></label>
    <label>Kind<input value=${values.kind} onInput=${set('kind')} autocapitalize="off" /></label>
    <label>Error contains<input value=${values.error} onInput=${set('error')} /></label>
    <label>Payload field<input value=${values.payload} onInput=${set('payload')} placeholder="account_id=42" autocapitalize="off" /></label>
    <div class="row">
      <button type="submit" class="primary">Search</button>
      <button type="button" class="secondary" onClick=${clear}>Clear</button>
    </div>
  </form>`;
}

export function JobsPage({ query }) {
  const params = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) || '']));
  const key = JSON.stringify(params);
  const state = usePoll(() => get(url('/api/v1/jobs', { ...params, limit: PAGE })), [key]);
  const [more, setMore] = useState({ jobs: [], cursor: undefined, busy: false, error: null });
  useEffect(() => setMore({ jobs: [], cursor: undefined, busy: false, error: null }), [key]);
  const loadMore = async (cursor) => {
    setMore({ ...more, busy: true });
    try {
      const r = await get(url('/api/v1/jobs', { ...params, limit: PAGE, cursor }));
      setMore({ jobs: [...more.jobs, ...(r.jobs || [])], cursor: r.next_cursor ?? null, busy: false, error: null });
    } catch (e) {
      setMore({ ...more, busy: false, error: e });
    }
  };
  return html`<${Page} title="Jobs">
    <details class="filter-box" open=${FILTERS.some((f) => params[f])}>
      <summary>Filters${FILTERS.some((f) => params[f]) ? ' (active)' : ''}</summary>
      <${Filters} key=${key} query=${query} />
    </details>
    <${Loading} state=${state}>${(d) => {
      const jobs = [...(d.jobs || []), ...more.jobs];
      const cursor = more.cursor === undefined ? d.next_cursor : more.cursor;
      if (jobs.length === 0) return html`<${Empty}>No jobs match.<//>`;
      return html`<ul class="cards jobs">${jobs.map((j) => html`<${JobCard} key=${j.id} job=${j} />`)}</ul>
        ${more.error ? html`<p class="error" role="alert">${more.error.message}</p>` : null}
        ${cursor !== null && cursor !== undefined
          ? html`<button type="button" class="secondary wide" disabled=${more.busy} onClick=${() => loadMore(cursor)}>
              ${more.busy ? 'Loading…' : 'Load more'}</button>`
          : html`<p class="muted small">${plural(jobs.length, 'job')}, no more.</p>`}`;
    }}<//>
  <//>`;
}

function attemptsOf(job) {
  if (Array.isArray(job.attempts) && job.attempts.length) return job.attempts;
  return Array.isArray(job.errors) ? job.errors : [];
}

function Timeline({ job }) {
  const events = [['Created', job.created_at]];
  if (job.run_at && job.run_at !== job.created_at) events.push(['Due (run_at)', job.run_at]);
  if (job.started_at) events.push(['Last started', job.started_at]);
  for (const a of attemptsOf(job)) events.push([`Attempt ${a.attempt} failed`, a.at]);
  if (job.finished_at) events.push([`Finished (${job.state})`, job.finished_at]);
  events.sort((a, b) => new Date(a[1]) - new Date(b[1]));
  return html`<ol class="timeline">
    ${events.map(([what, at]) => html`<li><span class="what">${what}</span>
      <span class="when"><${Time} at=${at} /> <span class="muted small">${formatAbs(at)}</span></span></li>`)}
  </ol>`;
}

function GroupLink({ job }) {
  const [href, setHref] = useState(null);
  const failing = attemptsOf(job).length > 0 && ['discarded', 'retryable'].includes(job.state);
  useEffect(() => {
    if (job.failure_group) { setHref('/ui/failures/' + seg(job.failure_group)); return; }
    if (!failing) return;
    let live = true;
    get(url('/api/v1/failures', { kind: job.kind, since: '7d' })).then((r) => {
      const groups = (r && r.groups) || [];
      const mine = groups.find((g) => g.example_job_id === job.id) || (groups.length === 1 ? groups[0] : null);
      if (live) setHref(mine ? '/ui/failures/' + seg(mine.id) : '/ui/failures?kind=' + seg(job.kind));
    }, () => live && setHref('/ui/failures?kind=' + seg(job.kind)));
    return () => { live = false; };
  }, [job.id, job.state]);
  if (!href) return null;
  return html`<p><a class="button secondary" href=${href}>Its failure group</a></p>`;
}

function Attempts({ job }) {
  const list = attemptsOf(job);
  if (list.length === 0) return html`<h2>Attempts</h2><p class="muted">No failed attempts.</p>`;
  return html`<h2>Attempts</h2>
    <ol class="cards attempts">
      ${list.map((a) => html`<li class="card">
        <span class="line"><strong>Attempt ${a.attempt}</strong> <${Time} at=${a.at} /></span>
        <span class="err">${a.message}</span>
        <span class="meta">duration ${duration(a.duration_ms)}${a.worker ? html` · worker <span class="mono">${a.worker}</span>` : null}</span>
        ${a.detail ? html`<details><summary>Output</summary><pre class="detail">${a.detail}</pre></details>` : null}
      </li>`)}
    </ol>`;
}

export function JobPage({ params }) {
  const [id] = params;
  const state = usePoll(() => get('/api/v1/jobs/' + seg(id)), [id]);
  return html`<${Page} title=${'Job #' + id}>
    <${Loading} state=${state}>${(job) => {
      const pending = ['scheduled', 'available', 'retryable'].includes(job.state);
      const canRetry = job.state !== 'running' && job.state !== 'completed';
      const canCancel = pending || job.state === 'running';
      return html`<p class="lead"><span class="kind">${job.kind}</span> <${Badge} state=${job.state} /></p>
        <${Actions}>
          ${canRetry ? html`<${Action} label="Retry"
            confirm=${`Run job #${job.id} (${job.kind}) again now?` + (pending ? '' : ' It starts again from attempt 1.')}
            run=${async () => { await post(`/api/v1/jobs/${seg(id)}/retry`); return `Job #${job.id} will run again`; }}
            done=${state.reload} />` : null}
          ${canCancel ? html`<${Action} label="Cancel" danger
            confirm=${`Cancel job #${job.id} (${job.kind})?` + (job.state === 'running' ? ' It is running: it is asked to stop.' : ' It will not run.')}
            confirmLabel="Cancel job"
            run=${async () => { const j = await post(`/api/v1/jobs/${seg(id)}/cancel`); return `Job #${job.id} is ${j && j.state ? j.state : 'cancelled'}`; }}
            done=${state.reload} />` : null}
        <//>
        <${Facts} rows=${[
          ['Queue', html`<a href=${'/ui/queues/' + seg(job.queue)}>${job.queue}</a>`],
          ['Attempt', `${job.attempt} of ${job.max_attempts}`],
          ['Priority', String(job.priority)],
          job.unique_key ? ['Unique key', job.unique_key] : null,
          job.lease_owner ? ['Running on', job.lease_owner] : null,
          job.cancel_requested ? ['Cancel', 'requested'] : null,
        ]} />
        <${GroupLink} job=${job} />
        <h2>Payload</h2>
        ${job.payload_hidden ? html`<p class="muted">hidden (payloads are not shown to the read-only role)</p>` : html`<${Json} value=${job.payload} />`}
        <h2>Timeline</h2>
        <${Timeline} job=${job} />
        <${Attempts} job=${job} />
        <${Audit} entries=${job.audit} />`;
    }}<//>
  <//>`;
}
