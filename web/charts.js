// Small SVG charts, drawn at the width of their container (so text stays
// readable on a phone) and redrawn when it changes. Each chart is an
// <svg role="img"> with an aria-label that says what it shows; the numbers
// are also in the tables next to it. Colours come from CSS classes.

const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function titled(node, title) {
  if (title) node.append(el('title', {}, title));
  return node;
}

const resize = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const box = entry.target;
    if (box.kwDraw && box.clientWidth !== box.kwWidth) box.kwDraw();
  }
});

// Draws with draw(width) → <svg> into box now and whenever its width changes.
function mount(box, label, draw) {
  box.kwDraw = () => {
    const width = Math.max(box.clientWidth, 240);
    box.kwWidth = box.clientWidth;
    const svg = draw(width);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    svg.setAttribute('width', width);
    svg.classList.add('kw-chart');
    box.replaceChildren(svg);
  };
  box.kwDraw();
  resize.observe(box);
}

function empty(box, message) {
  box.kwDraw = null;
  const p = document.createElement('p');
  p.className = 'muted chart-empty';
  p.textContent = message;
  box.replaceChildren(p);
}

// A round step that cuts [lo, hi] into about count parts.
function step(lo, hi, count) {
  const raw = (hi - lo || 1) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

// [lo, hi] widened to whole steps, so the highest bar or point has a tick above it.
function rounded(lo, hi) {
  const s = step(lo, hi, 4);
  return [Math.floor(lo / s) * s, Math.ceil(hi / s) * s];
}

// Round tick values spanning [lo, hi].
function ticks(lo, hi, count) {
  const s = step(lo, hi, count);
  const out = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + s * 1e-9; v += s) out.push(Number(v.toFixed(10)));
  return out;
}

// A chart area of width × height inside margins m, with y from lo to hi:
// the <svg>, the y scale, and a grid group with horizontal lines and labels.
function frame(width, height, m, lo, hi, fmt) {
  const Y = (v) => m.t + (1 - (v - lo) / (hi - lo)) * (height - m.t - m.b);
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, height });
  const grid = el('g', { class: 'grid' });
  for (const t of ticks(lo, hi, 4)) {
    grid.append(el('line', { x1: m.l, x2: width - m.r, y1: Y(t), y2: Y(t) }));
    grid.append(el('text', { x: m.l - 6, y: Y(t) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(t)));
  }
  svg.append(grid);
  return { svg, Y, grid };
}

// Lines over a numeric x axis (cycle ids).
// spec: {label, series: [{name, cls, points: [{x, y, title, cls}]}], yMin, yMax,
//        yFormat, refLines: [{y, cls, label}], xLabel, empty}
export function lineChart(box, spec) {
  const pts = spec.series.flatMap((s) => s.points);
  if (!pts.length) return empty(box, spec.empty ?? 'No data yet.');
  const fmt = spec.yFormat ?? ((v) => String(v));
  mount(box, spec.label, (width) => {
    const legend = spec.series.length > 1;
    const height = legend ? 250 : 220;
    const m = { l: 44, r: 12, t: legend ? 36 : 12, b: 34 };
    const xs = pts.map((p) => p.x);
    let x0 = Math.min(...xs);
    let x1 = Math.max(...xs);
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    const ys = pts.map((p) => p.y);
    const [lo, hi] = rounded(Math.min(...ys), Math.max(...ys) === Math.min(...ys) ? Math.min(...ys) + 1 : Math.max(...ys));
    const y0 = spec.yMin ?? lo;
    const y1 = spec.yMax ?? hi;
    const X = (x) => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r);
    const { svg, Y, grid } = frame(width, height, m, y0, y1, fmt);
    const xt = ticks(x0, x1, Math.max(2, Math.floor(width / 90))).filter((t) => Number.isInteger(t));
    for (const t of xt) grid.append(el('text', { x: X(t), y: height - m.b + 16, 'text-anchor': 'middle', class: 'tick' }, String(t)));
    if (spec.xLabel) grid.append(el('text', { x: width - m.r, y: height - 4, 'text-anchor': 'end', class: 'axis-label' }, spec.xLabel));
    for (const r of spec.refLines ?? []) {
      svg.append(el('line', { x1: m.l, x2: width - m.r, y1: Y(r.y), y2: Y(r.y), class: `ref ${r.cls ?? ''}` }));
      if (r.label) svg.append(el('text', { x: width - m.r, y: Y(r.y) - 4, 'text-anchor': 'end', class: 'ref-label' }, r.label));
    }
    spec.series.forEach((s, i) => {
      const sorted = [...s.points].sort((a, b) => a.x - b.x);
      if (sorted.length > 1) {
        const d = sorted.map((p, k) => `${k ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join('');
        svg.append(el('path', { d, class: `line ${s.cls ?? `s${i % 8}`}` }));
      }
      const dots = el('g', { class: `dots ${s.cls ?? `s${i % 8}`}` });
      for (const p of sorted) {
        dots.append(titled(el('circle', { cx: X(p.x), cy: Y(p.y), r: sorted.length > 40 ? 2.5 : 4, class: p.cls ?? '' }),
          p.title ?? `${s.name}: ${fmt(p.y)} at ${p.x}`));
      }
      svg.append(dots);
      if (legend) {
        const per = Math.max(1, Math.floor((width - m.l) / 150));
        const lx = m.l + (i % per) * 150;
        const ly = 12 + Math.floor(i / per) * 14;
        svg.append(el('rect', { x: lx, y: ly - 8, width: 10, height: 10, class: `key ${s.cls ?? `s${i % 8}`}` }));
        svg.append(el('text', { x: lx + 14, y: ly + 1, class: 'legend' }, s.name));
      }
    });
    return svg;
  });
}

// Horizontal bars, one row per item, each with one or more bars.
// spec: {label, rows: [{label, bars: [{value, max, cls, text, title}]}], legend: [{cls, text}], empty}
export function barRows(box, spec) {
  if (!spec.rows.length) return empty(box, spec.empty ?? 'No data yet.');
  mount(box, spec.label, (width) => {
    const per = spec.rows[0].bars.length;
    const barH = 12;
    const rowH = per * (barH + 3) + 10;
    const labelW = Math.min(170, Math.floor(width * 0.38));
    const valueW = 62;
    const head = spec.legend ? 22 : 4;
    const height = spec.rows.length * rowH + head;
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, height });
    const span = width - labelW - valueW - 8;
    (spec.legend ?? []).forEach((k, i) => {
      const lx = (width >= 480 ? labelW : 0) + i * 150;
      svg.append(el('rect', { x: lx, y: 4, width: 10, height: 10, class: `key ${k.cls}` }));
      svg.append(el('text', { x: lx + 14, y: 13, class: 'legend' }, k.text));
    });
    spec.rows.forEach((row, i) => {
      const top = i * rowH + head;
      svg.append(el('text', { x: labelW - 6, y: top + (per * (barH + 3)) / 2 + 4, 'text-anchor': 'end', class: 'row-label' }, row.label));
      row.bars.forEach((b, k) => {
        const y = top + k * (barH + 3);
        const w = b.max > 0 ? Math.max(0, Math.min(1, b.value / b.max)) * span : 0;
        svg.append(el('rect', { x: labelW, y, width: span, height: barH, class: 'track' }));
        svg.append(titled(el('rect', { x: labelW, y, width: w.toFixed(1), height: barH, class: `bar ${b.cls ?? ''}` }), b.title ?? b.text));
        svg.append(el('text', { x: labelW + span + 6, y: y + barH - 2, class: 'value' }, b.text));
      });
    });
    return svg;
  });
}

// Vertical bars around a zero line (positive up, negative down) over labels.
// spec: {label, bars: [{label, value, cls, title}], yFormat, empty}
export function columns(box, spec) {
  if (!spec.bars.length) return empty(box, spec.empty ?? 'No data yet.');
  const fmt = spec.yFormat ?? ((v) => String(v));
  mount(box, spec.label, (width) => {
    const height = 200;
    const m = { l: 56, r: 8, t: 10, b: 28 };
    const vals = spec.bars.map((b) => b.value);
    const least = Math.min(0, ...vals);
    const most = Math.max(0, ...vals);
    const [lo, hi] = rounded(least, most === least ? least + 1 : most);
    const { svg, Y } = frame(width, height, m, lo, hi, fmt);
    const slot = (width - m.l - m.r) / spec.bars.length;
    const bw = Math.max(2, Math.min(40, slot * 0.7));
    const every = Math.ceil(spec.bars.length / Math.max(1, Math.floor((width - m.l) / 40)));
    spec.bars.forEach((b, i) => {
      const x = m.l + i * slot + (slot - bw) / 2;
      const top = Y(Math.max(0, b.value));
      const h = Math.max(1, Math.abs(Y(b.value) - Y(0)));
      svg.append(titled(el('rect', { x: x.toFixed(1), y: top.toFixed(1), width: bw.toFixed(1), height: h.toFixed(1), class: `bar ${b.cls ?? ''}` }), b.title));
      if (i % every === 0) svg.append(el('text', { x: x + bw / 2, y: height - m.b + 16, 'text-anchor': 'middle', class: 'tick' }, b.label));
    });
    svg.append(el('line', { x1: m.l, x2: width - m.r, y1: Y(0), y2: Y(0), class: 'zero' }));
    return svg;
  });
}

// One bar split into parts, with a legend underneath.
// spec: {label, parts: [{value, cls, text}], total?}
export function splitBar(box, spec) {
  const sum = spec.total ?? spec.parts.reduce((a, p) => a + p.value, 0);
  if (!(sum > 0)) return empty(box, spec.empty ?? 'No data yet.');
  mount(box, spec.label, (width) => {
    const rows = Math.ceil(spec.parts.length / Math.max(1, Math.floor(width / 170)));
    const height = 30 + rows * 18;
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, height });
    svg.append(el('rect', { x: 0, y: 0, width, height: 20, rx: 4, class: 'track' }));
    let x = 0;
    for (const p of spec.parts) {
      const w = (p.value / sum) * width;
      svg.append(titled(el('rect', { x: x.toFixed(1), y: 0, width: Math.max(0, w).toFixed(1), height: 20, class: `bar ${p.cls}` }), p.text));
      x += w;
    }
    const per = Math.max(1, Math.floor(width / 170));
    spec.parts.forEach((p, i) => {
      const lx = (i % per) * 170;
      const ly = 36 + Math.floor(i / per) * 18;
      svg.append(el('rect', { x: lx, y: ly - 9, width: 10, height: 10, class: `key ${p.cls}` }));
      svg.append(el('text', { x: lx + 14, y: ly, class: 'legend' }, p.text));
    });
    return svg;
  });
}
