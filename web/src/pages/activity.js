// Activity: jobs completed and failed per bucket, and wait times, from the
// server's per-minute rollups. uPlot is loaded only when this page opens.
import { get, url } from '../api.js';
import { html, usePoll, Page, Loading, navigate } from '../ui.js';
import { useEffect, useRef, useState } from '../vendor/preact-htm.js';

const RANGES = [['1h', 'Last hour', 'per minute'], ['24h', 'Last 24 h', 'per 15 minutes'], ['7d', 'Last 7 days', 'per hour']];

let uplotPromise = null;
function loadUplot() {
  if (!uplotPromise) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/ui/vendor/uplot.css';
    document.head.appendChild(link);
    uplotPromise = import('../vendor/uplot.js').then((m) => m.default);
  }
  return uplotPromise;
}

const dark = () => window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;

function Chart({ title, series, data, yLabel }) {
  const box = useRef(null);
  const plot = useRef(null);
  const [err, setErr] = useState(null);
  useEffect(() => {
    let live = true;
    loadUplot().then((UPlot) => {
      if (!live || !box.current) return;
      const width = Math.max(280, box.current.clientWidth);
      const axis = { stroke: dark() ? '#c9d1d9' : '#333', grid: { stroke: dark() ? '#30363d' : '#e5e5e5' } };
      const opts = {
        width, height: 220,
        series: [{}, ...series.map(([label, color]) => ({ label, stroke: color, width: 2, points: { show: false } }))],
        axes: [axis, { ...axis, label: yLabel, size: 56 }],
        scales: { x: { time: true } },
        legend: { show: true },
      };
      if (plot.current) plot.current.destroy();
      plot.current = new UPlot(opts, data, box.current);
    }, (e) => live && setErr(e));
    return () => { live = false; };
  }, [data]);
  useEffect(() => {
    const onResize = () => {
      if (plot.current && box.current) plot.current.setSize({ width: Math.max(280, box.current.clientWidth), height: 220 });
    };
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      if (plot.current) plot.current.destroy();
      plot.current = null;
    };
  }, []);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    ${err ? html`<p class="error">Chart failed to load: ${err.message}</p>` : null}
    <div ref=${box} class="chart-box" role="img" aria-label=${title}></div>
  </figure>`;
}

function totals(buckets, key) {
  return buckets.reduce((n, b) => n + (b[key] || 0), 0);
}

export function ActivityPage({ query }) {
  const range = RANGES.some(([r]) => r === query.get('range')) ? query.get('range') : '1h';
  const queue = query.get('queue') || '';
  const state = usePoll(() => get(url('/api/v1/stats', { range, queue })), [range, queue], 30000);
  const go = (r, q) => navigate(url('/ui/activity', { range: r === '1h' ? '' : r, queue: q }), true);
  const unit = RANGES.find(([r]) => r === range)[2];
  return html`<${Page} title="Activity">
    <div class="segmented" role="group" aria-label="Period">
      ${RANGES.map(([r, label]) => html`<button type="button" aria-pressed=${r === range ? 'true' : 'false'} onClick=${() => go(r, queue)}>${label}</button>`)}
    </div>
    <${Loading} state=${state}>${(d) => {
      const buckets = d.buckets || [];
      const t = buckets.map((b) => new Date(b.t).getTime() / 1000);
      const col = (k) => buckets.map((b) => b[k] ?? null);
      const queues = d.queues || [];
      return html`
        <label class="inline">Queue
          <select value=${queue} onChange=${(e) => go(range, e.target.value)}>
            <option value="">all queues</option>
            ${queues.map((q) => html`<option value=${q}>${q}</option>`)}
          </select></label>
        <p class="muted small">${`${totals(buckets, 'completed')} completed, ${totals(buckets, 'failed')} failed attempts, ${totals(buckets, 'discarded')} discarded in this period (charted ${unit}).`}</p>
        <${Chart} title=${'Jobs ' + unit} yLabel="jobs" data=${[t, col('completed'), col('failed'), col('discarded')]}
          series=${[['completed', '#2e9d4f'], ['failed', '#d9822b'], ['discarded', '#d73a49']]} />
        <${Chart} title="Wait before start (ms)" yLabel="ms" data=${[t, col('wait_p50_ms'), col('wait_p95_ms')]}
          series=${[['p50', '#3b82f6'], ['p95', '#a855f7']]} />`;
    }}<//>
  <//>`;
}
