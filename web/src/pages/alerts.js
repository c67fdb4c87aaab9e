// Alerts: what is open and what happened recently; acknowledge, silence.
import { get, post, url, seg, session } from '../api.js';
import { html, usePoll, Page, Loading, Time, Badge, Facts, Audit, Action, Actions, Empty, formatAbs, navigate } from '../ui.js';

function silenced(a) {
  return a.silenced_until && new Date(a.silenced_until).getTime() > Date.now();
}

function AlertCard({ a }) {
  return html`<li><a class="card link" href=${'/ui/alerts/' + seg(a.id)}>
    <span class="line"><strong>${a.summary || a.rule}</strong>
      <${Badge} state=${a.state === 'open' ? a.severity || 'open' : 'resolved'} text=${a.state === 'open' ? a.severity || 'open' : 'resolved'} /></span>
    <span class="meta">${a.rule} · ${a.count}× · first <${Time} at=${a.first_seen} /> · last <${Time} at=${a.last_seen} /></span>
    ${a.acked_at || silenced(a) ? html`<span class="meta">${a.acked_at ? `acknowledged by ${a.acked_by || '?'}` : ''}${a.acked_at && silenced(a) ? ' · ' : ''}${silenced(a) ? `silenced until ${formatAbs(a.silenced_until)}` : ''}</span>` : null}
  </a></li>`;
}

export function AlertsPage({ query }) {
  const which = query.get('state') === 'all' ? 'all' : 'open';
  const state = usePoll(() => get(url('/api/v1/alerts', { state: which, limit: 100 })), [which]);
  return html`<${Page} title="Alerts">
    <div class="segmented" role="group" aria-label="Which alerts">
      <button type="button" aria-pressed=${which === 'open' ? 'true' : 'false'} onClick=${() => navigate('/ui/alerts', true)}>Open</button>
      <button type="button" aria-pressed=${which === 'all' ? 'true' : 'false'} onClick=${() => navigate('/ui/alerts?state=all', true)}>Recent</button>
    </div>
    <${Loading} state=${state}>${(d) => {
      const list = d.alerts || [];
      if (list.length === 0) return html`<${Empty}>${which === 'open' ? 'No open alerts.' : 'No alerts.'}<//>`;
      return html`<p class="muted small">${list.length} ${which === 'open' ? 'open' : 'recent'}</p>
        <ul class="cards">${list.map((a) => html`<${AlertCard} key=${a.id} a=${a} />`)}</ul>`;
    }}<//>
  <//>`;
}

const SILENCE = [['1h', '1 h', 'for 1 hour'], ['1d', '1 day', 'for 1 day']];

export function AlertPage({ params }) {
  const [id] = params;
  const state = usePoll(() => get('/api/v1/alerts/' + seg(id)), [id]);
  const ack = (silence) => post(`/api/v1/alerts/${seg(id)}/ack`, { silence });
  return html`<${Page} title="Alert">
    <${Loading} state=${state}>${(a) => html`
      <p class="lead"><strong>${a.summary || a.rule}</strong>
        <${Badge} state=${a.state === 'open' ? a.severity || 'open' : 'resolved'} text=${a.state === 'open' ? a.severity || 'open' : 'resolved'} /></p>
      ${a.detail ? html`<p class="detail-text">${a.detail}</p>` : null}
      ${a.state === 'open' ? html`<${Actions}>
        ${!a.acked_at ? html`<${Action} label="Acknowledge"
          confirm=${`Acknowledge this alert as ${session.name || 'you'}? Everyone sees who is on it; it stays open until its cause is fixed.`}
          run=${async () => { await ack(null); return 'Alert acknowledged'; }} done=${state.reload} />` : null}
        ${SILENCE.map(([v, label, span]) => html`<${Action} label=${'Silence ' + label}
          confirm=${`Acknowledge and silence this alert ${span}? No reminders are sent until then; it still resolves and says so.`}
          confirmLabel=${'Silence ' + label}
          run=${async () => { const r = await ack(v); return `Alert silenced until ${formatAbs(r && r.silenced_until)}`; }} done=${state.reload} />`)}
      <//>` : null}
      ${a.link ? html`<p><a class="button secondary" href=${a.link}>Open what it is about</a></p>` : null}
      <${Facts} rows=${[
        ['State', a.state + (a.resolved_at ? ` (resolved ${formatAbs(a.resolved_at)})` : '')],
        ['Rule', a.rule],
        ['Seen', `${a.count} time${a.count === 1 ? '' : 's'}`],
        ['First seen', html`<${Time} at=${a.first_seen} />`],
        ['Last seen', html`<${Time} at=${a.last_seen} />`],
        a.acked_at ? ['Acknowledged', html`by ${a.acked_by || '?'} <${Time} at=${a.acked_at} />`] : null,
        a.silenced_until ? ['Silenced until', formatAbs(a.silenced_until)] : null,
        a.job_id ? ['Job', html`<a href=${'/ui/jobs/' + a.job_id}>#${a.job_id}</a>`] : null,
        ...Object.entries(a.labels || {}).map(([k, v]) => [k, String(v)]),
      ]} />
      <${Audit} entries=${a.audit} />`}<//>
  <//>`;
}
