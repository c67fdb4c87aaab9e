// Failures: discarded and retrying jobs grouped by kind and normalised error
// message; a group's jobs, and retry or discard all of them at once.
import { get, post, url, seg } from '../api.js';
import {
  html, usePoll, Page, Loading, Time, Badge, Audit, Action, Actions, Empty, Facts, plural, navigate,
} from '../ui.js';

const SINCE = [['24h', 'Last 24 hours'], ['7d', 'Last 7 days']];

function SinceSwitch({ since, base }) {
  return html`<div class="segmented" role="group" aria-label="Period">
    ${SINCE.map(([v, label]) => html`<button type="button" aria-pressed=${since === v ? 'true' : 'false'}
      onClick=${() => navigate(url(base.path, { ...base.params, since: v }), true)}>${label}</button>`)}
  </div>`;
}

function GroupCard({ g, since }) {
  return html`<li><a class="card link group" href=${url('/ui/failures/' + seg(g.id), { since })}>
    <span class="line"><span class="kind">${g.kind}</span> <span class="n">${plural(g.count, 'job')}</span></span>
    <span class="err">${g.message}</span>
    <span class="meta">${g.discarded} discarded · ${g.retrying} retrying · last <${Time} at=${g.last_seen} /> · first <${Time} at=${g.first_seen} /></span>
  </a></li>`;
}

export function FailuresPage({ query }) {
  const since = query.get('since') || '24h';
  const kind = query.get('kind') || '';
  const state = usePoll(() => get(url('/api/v1/failures', { since, kind })), [since, kind]);
  return html`<${Page} title="Failures" sub=${kind ? html`Kind <span class="kind">${kind}</span> · <a href="/ui/failures">all kinds</a>` : 'Failing jobs grouped by kind and error message.'}>
    <${SinceSwitch} since=${since} base=${{ path: '/ui/failures', params: { kind } }} />
    <${Loading} state=${state}>${(d) => {
      const groups = d.groups || [];
      if (groups.length === 0) return html`<${Empty}>No failures ${since === '7d' ? 'in the last 7 days' : 'in the last 24 hours'}${kind ? ' for this kind' : ''}.<//>`;
      return html`<ul class="cards">${groups.map((g) => html`<${GroupCard} key=${g.id} g=${g} since=${since} />`)}</ul>
        ${d.truncated ? html`<p class="muted small">Only the most recent groups are shown.</p>` : null}`;
    }}<//>
  <//>`;
}

function retryQuestion(g) {
  const parts = [];
  if (g.discarded) parts.push(`${g.discarded} discarded`);
  if (g.retrying) parts.push(`${g.retrying} retrying`);
  const what = parts.length ? parts.join(' and ') : String(g.count);
  return `Retry ${what} ${g.discarded + g.retrying === 1 ? 'job' : 'jobs'} of kind ${g.kind} now?`;
}

export function FailurePage({ params, query }) {
  const [id] = params;
  const since = query.get('since') || '7d';
  // 404: no job is in the group any more (retried and succeeded, or gone
  // by retention); say so instead of showing an error.
  const state = usePoll(() => get(url('/api/v1/failures/' + seg(id), { since })).catch((e) => {
    if (e.status === 404) return { gone: true };
    throw e;
  }), [id, since]);
  return html`<${Page} title="Failure group">
    <${Loading} state=${state}>${(g) => {
      if (g.gone) {
        return html`<${Empty}>No failing jobs are in this group ${since === '24h' ? 'in the last 24 hours' : 'in the last 7 days'}: they were retried and succeeded, or are no longer kept.<//>
          <p><a href="/ui/failures">All failure groups</a></p>`;
      }
      const toRetry = (g.discarded || 0) + (g.retrying || 0);
      return html`<p class="lead"><span class="kind">${g.kind}</span></p>
        <p class="err big">${g.message}</p>
        <${Actions}>
          ${toRetry > 0 ? html`<${Action} label=${`Retry ${plural(toRetry, 'job')}`} confirm=${retryQuestion(g)}
            run=${async () => { const r = await post(url(`/api/v1/failures/${seg(id)}/retry`, { since })); return `Retried ${plural(r.retried, 'job')}`; }}
            done=${state.reload} />` : null}
          ${g.retrying > 0 ? html`<${Action} danger label=${`Discard ${g.retrying} retrying ${g.retrying === 1 ? 'job' : 'jobs'}`}
            confirm=${`Stop retrying ${plural(g.retrying, 'job')} of kind ${g.kind}? ${g.retrying === 1 ? 'It is' : 'They are'} discarded now.`}
            confirmLabel="Discard"
            run=${async () => { const r = await post(url(`/api/v1/failures/${seg(id)}/discard`, { since })); return `Discarded ${plural(r.discarded, 'job')}`; }}
            done=${state.reload} />` : null}
        <//>
        <${Facts} rows=${[
          ['Jobs', `${g.count} (${g.discarded} discarded, ${g.retrying} retrying)`],
          ['Queues', (g.queues || []).join(', ')],
          ['First seen', html`<${Time} at=${g.first_seen} />`],
          ['Last seen', html`<${Time} at=${g.last_seen} />`],
          g.example ? ['Example error', html`<span class="err">${g.example}</span>`] : null,
        ]} />
        <h2>Jobs</h2>
        ${(g.jobs || []).length === 0 ? html`<${Empty}>No jobs.<//>` : html`<ul class="cards">
          ${g.jobs.map((j) => html`<li key=${j.id}><a class="card link job" href=${'/ui/jobs/' + j.id}>
            <span class="line"><strong>#${j.id}</strong> <${Badge} state=${j.state} /></span>
            <span class="meta">queue ${j.queue} · attempt ${j.attempt}/${j.max_attempts} · failed <${Time} at=${j.failed_at} /></span>
            ${j.last_error ? html`<span class="err">${typeof j.last_error === 'string' ? j.last_error : j.last_error.message}</span>` : null}
          </a></li>`)}
        </ul>`}
        <p><a href=${url('/ui/jobs', { kind: g.kind })}>All jobs of kind ${g.kind}</a></p>
        <${Audit} entries=${g.audit} />`;
    }}<//>
  <//>`;
}
