// Charts of the last hour of a topic's readings, drawn from the page's
// SVG template (the HTML parser puts it in the SVG namespace, so no
// markup is ever built from strings).

import { h } from './dom.js';

const W = 360;
const H = 60;

// hourChart is a labelled chart of values, oldest first, scaled to their
// peak, with the newest value and the peak written beside it.
export function hourChart(label, values, format) {
  const chart = document.getElementById('sparkline').content.firstElementChild.cloneNode(true);
  chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
  chart.classList.add('hour-chart');
  const peak = Math.max(...values, 0);
  const step = values.length > 1 ? W / (values.length - 1) : W;
  const coords = values.map((v, i) => (i * step).toFixed(1) + ',' + (peak > 0 ? H - 1 - (v / peak) * (H - 4) : H - 1).toFixed(1));
  const base = chart.querySelector('.spark-base');
  for (const [k, v] of Object.entries({ x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5 })) base.setAttribute(k, String(v));
  chart.querySelector('.spark-line').setAttribute('points', coords.join(' '));
  chart.querySelector('.spark-area').setAttribute('points', `0,${H} ${coords.join(' ')} ${W},${H}`);
  chart.querySelector('title').textContent = label + ': peak ' + format(peak);
  const newest = values.length ? values[values.length - 1] : 0;
  return h('figure', { className: 'hour', dataset: { peak: String(peak), newest: String(newest) } },
    h('figcaption', null, label, ' ', h('span', { className: 'muted num' }, 'now ' + format(newest) + ' · peak ' + format(peak))),
    chart);
}
