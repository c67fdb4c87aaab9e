// Checks (dead-man's switches): state, last ping, period and grace, the URL
// to ping (with a copy button); pause and resume.
import { get, post, seg } from '../api.js';
import { html, usePoll, Page, Loading, Time, Badge, Facts, Audit, Action, Actions, Empty, seconds, notify } from '../ui.js';

function pingUrl(c) {
  const u = c.ping_url || '/ping/' + seg(c.name);
  return u.startsWith('/') ? location.origin + u : u;
}

function Copy({ text }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      notify('Ping URL copied');
    } catch {
      notify('Copy failed: select the URL and copy it by hand', 'bad');
    }
  };
  return html`<div class="copy"><code class="mono">${text}</code>
    <button type="button" class="secondary" onClick=${copy}>Copy</button></div>`;
}

const every = (c) => c.cron ? html`cron <span class="mono">${c.cron}</span> (${c.timezone || 'UTC'})` : 'every ' + seconds(c.period_seconds);

export function ChecksPage() {
  const state = usePoll(() => get('/api/v1/checks'), []);
  return html`<${Page} title="Checks">
    <${Loading} state=${state}>${(d) => {
      const list = d.checks || [];
      if (list.length === 0) return html`<${Empty}>No checks.<//>`;
      return html`<ul class="cards">${list.map((c) => html`<li key=${c.name}><a class="card link" href=${'/ui/checks/' + seg(c.name)}>
        <span class="line"><strong>${c.name}</strong> <${Badge} state=${c.state} /></span>
        <span class="meta">${every(c)} · grace ${seconds(c.grace_seconds)} · last ping <${Time} at=${c.last_ping_at} /></span>
      </a></li>`)}</ul>`;
    }}<//>
  <//>`;
}

export function CheckPage({ params }) {
  const [name] = params;
  const state = usePoll(() => get('/api/v1/checks/' + seg(name)), [name]);
  return html`<${Page} title=${'Check ' + name}>
    <${Loading} state=${state}>${(c) => html`
      <p class="lead"><${Badge} state=${c.state} /></p>
      <${Actions}>
        ${c.state === 'paused'
          ? html`<${Action} label="Resume" confirm=${`Resume check ${name}? A missing ping alerts again.`}
              run=${async () => { await post(`/api/v1/checks/${seg(name)}/resume`); return `Check ${name} resumed`; }} done=${state.reload} />`
          : html`<${Action} label="Pause" danger confirm=${`Pause check ${name}? Missing pings raise no alert until it is resumed.`}
              confirmLabel="Pause"
              run=${async () => { await post(`/api/v1/checks/${seg(name)}/pause`); return `Check ${name} paused`; }} done=${state.reload} />`}
      <//>
      <h2>Ping URL</h2>
      <${Copy} text=${pingUrl(c)} />
      <${Facts} rows=${[
        ['Expected', every(c)],
        ['Grace', seconds(c.grace_seconds)],
        ['Last ping', html`<${Time} at=${c.last_ping_at} />${c.last_ping_kind ? ` (${c.last_ping_kind})` : ''}`],
        ['Last success', html`<${Time} at=${c.last_success_at} />`],
        c.last_exit_status !== null && c.last_exit_status !== undefined ? ['Last exit status', String(c.last_exit_status)] : null,
        c.started ? ['Running since', html`<${Time} at=${c.started_at} />`] : null,
        ['Pings', String(c.ping_count ?? 0)],
        c.schedule ? ['Schedule', html`<a href=${'/ui/schedules/' + seg(c.schedule)}>${c.schedule}</a>`] : null,
        ['Declared in', c.source],
      ]} />
      ${c.last_ping_body ? html`<h2>Last ping body</h2><pre class="detail">${c.last_ping_body}</pre>` : null}
      <${Audit} entries=${c.audit} />`}<//>
  <//>`;
}
