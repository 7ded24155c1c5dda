// The kalewx dashboard: the cycle live over Server-Sent Events, DAO
// analytics, weather history and the signed-in user's portfolio and forms.
// Everything it shows comes from the HTTP API (docs/api.md); text from the
// server is only ever set as textContent.

import { api, ApiError, follow, session } from './api.js';
import { LIMITS, checkPassword, checkUsername, displayAmount, formatStroops, parseAmount, toStroops } from './amount.js';
import { barRows, columns, lineChart, splitBar } from './charts.js';

const $ = (id) => document.getElementById(id);

// h('td', {class: 'num'}, 'text', node, ...) → element; strings become text nodes.
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const pct = (v, digits = 1) => (v === null || v === undefined ? '—' : `${(Number(v) * 100).toFixed(digits)} %`);
const num = (v, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
// City names: lists give a city's id, some replies its {id, name}; the names
// seen are remembered, and an id never named yet is shown title-cased.
const cityNames = new Map();
function placeName(loc) {
  if (!loc) return '—';
  if (typeof loc === 'object') {
    if (loc.id && loc.name) cityNames.set(loc.id, loc.name);
    return loc.name ?? loc.id;
  }
  return cityNames.get(loc) ?? loc.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}
const outcomeBadge = (o) => (o ? h('span', { class: `badge ${String(o).toLowerCase()}` }, String(o).toUpperCase()) : '—');
const kale = (s) => (s === null || s === undefined ? '—' : `${displayAmount(s)}`);

function fill(tbody, rows, emptyText, columnsCount) {
  tbody.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: columnsCount, class: 'muted' }, emptyText))]));
}

function banner(text) {
  const b = $('banner');
  b.textContent = text ?? '';
  b.hidden = !text;
}

function say(out, text, ok) {
  out.textContent = text;
  out.className = `out ${ok ? 'ok' : 'err'}`;
}

// ---------------------------------------------------------------- state

const state = {
  cycle: null,            // cycle of /cycles/current, kept current by events
  participants: null,
  actions: [],            // actions_available
  dao: null,              // dao of /cycles/current
  weather: null,          // weather of /cycles/current
  phaseAt: null,          // block_in_cycle → phase, as seen (see learnPhase)
  gaps: [],               // recent block intervals in seconds, from block timestamps
  lastBlock: null,        // {block, timestamp, seenAt}
  stale: new Set(['daos', 'weather', 'portfolio']),
  view: 'dashboard',
  cycles: new Map(),      // id → cycle of /cycles, for outcomes in the portfolio
  pendingFaucet: 0,       // blocks left to watch the balance for a faucet payment
  balanceSeen: null,
};

// ---------------------------------------------------------------- cycle dashboard

function cycleLength(c) { return c.end_block - c.start_block + 1; }

const PHASES_KEY = 'kalewx.phases';

// The API does not publish the phase lengths, so the page learns which phase
// each block of a cycle belongs to from what it sees, and remembers it for
// the next visit (for as long as cycles keep the same length).
function learnPhase(length, blockInCycle, phase) {
  if (!state.phaseAt || state.phaseAt.length !== length) {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(PHASES_KEY) ?? 'null');
    } catch {
      saved = null;
    }
    state.phaseAt = Array.isArray(saved) && saved.length === length ? saved : Array(length).fill('');
  }
  if (state.phaseAt[blockInCycle] === phase) return;
  state.phaseAt[blockInCycle] = phase;
  localStorage.setItem(PHASES_KEY, JSON.stringify(state.phaseAt));
}

function blockInterval() {
  if (!state.gaps.length) return null;
  const s = [...state.gaps].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function duration(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

function renderCountdown() {
  const c = state.cycle;
  const gap = blockInterval();
  if (!c || gap === null || !state.lastBlock) {
    $('cy-next').textContent = '—';
    $('cy-ends').textContent = '—';
    return;
  }
  const since = (Date.now() - state.lastBlock.seenAt) / 1000;
  const next = gap - since;
  $('cy-next').textContent = next > 0 ? `in ~${duration(next)}` : 'due now';
  const left = c.end_block - c.current_block;
  $('cy-ends').textContent = `in ~${duration(Math.max(0, next) + left * gap)}`;
}

function renderStrip() {
  const c = state.cycle;
  const strip = $('cy-strip');
  if (!c) return strip.replaceChildren();
  const n = cycleLength(c);
  const cells = [];
  for (let i = 0; i < n; i++) {
    const phase = state.phaseAt?.[i] ?? '';
    const at = i === c.block_in_cycle ? ' now' : i < c.block_in_cycle ? ' past' : '';
    cells.push(h('span', { class: `cell${at}`, 'data-phase': phase, title: `block ${c.start_block + i}${phase ? `: ${phase}` : ''}` }));
  }
  strip.replaceChildren(...cells);
  strip.setAttribute('aria-label', `block ${c.block_in_cycle + 1} of ${n} of cycle ${c.id}, ${c.phase} phase`);
}

function renderCycle() {
  const c = state.cycle;
  if (!c) return;
  $('cy-id').textContent = c.id;
  const ph = $('cy-phase');
  ph.textContent = c.phase;
  ph.dataset.phase = c.phase;
  $('cy-block').textContent = c.current_block;
  $('cy-bic').textContent = `${c.block_in_cycle + 1} of ${cycleLength(c)}`;
  $('cy-left').textContent = c.end_block - c.current_block;
  const prog = Math.max(0, Math.min(1, Number(c.phase_progress ?? 0)));
  $('cy-phase-bar').style.width = `${(prog * 100).toFixed(1)}%`;
  $('cy-phase-text').textContent = `${Math.round(prog * 100)} % of the ${c.phase} phase has passed`;
  const acts = state.actions;
  $('cy-actions').textContent = acts.length ? `open: ${acts.join(', ')}` : 'no actions in this phase';
  renderStrip();
  renderCountdown();
  renderActionHints();
}

function renderParticipants() {
  const p = state.participants ?? {};
  $('cy-p-total').textContent = p.total ?? '—';
  $('cy-p-farmers').textContent = p.farmers ?? '—';
  $('cy-p-wagerers').textContent = p.wagerers ?? '—';
}

function renderSentiment() {
  const s = state.dao?.sentiment;
  const votes = state.dao?.votes ?? [];
  if (!s) {
    splitBar($('cy-sentiment'), { label: 'no votes yet', parts: [], empty: 'No votes revealed yet.' });
    $('cy-sentiment-text').textContent = state.dao?.commitments?.length
      ? `${state.dao.commitments.length} DAOs have committed to a vote; it is revealed after the working phase.`
      : 'The DAOs commit to votes when the working phase starts.';
    return;
  }
  const good = Number(s.good);
  const bad = Number(s.bad);
  splitBar($('cy-sentiment'), {
    label: `DAO sentiment: ${num(good, 2)} GOOD against ${num(bad, 2)} BAD`,
    parts: [
      { value: good, cls: 'good', text: `GOOD ${num(good, 2)}` },
      { value: bad, cls: 'bad', text: `BAD ${num(bad, 2)}` },
    ],
  });
  const g = votes.filter((v) => v.prediction === 'GOOD').length;
  $('cy-sentiment-text').textContent = `${votes.length} votes revealed: ${g} GOOD, ${votes.length - g} BAD.`;
}

function renderWeatherNow() {
  const w = state.weather;
  const box = $('cy-weather');
  if (!w) {
    box.replaceChildren(h('p', { class: 'muted' }, 'Not known until the revealing phase.'));
    return;
  }
  box.replaceChildren(h('p', { class: 'weather-now' }, outcomeBadge(w.outcome), ' ', h('strong', {}, num(w.final_score, 1)), h('span', { class: 'muted' }, ' / 100')),
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Confidence'), h('dd', {}, pct(w.confidence))),
      h('div', {}, h('dt', {}, 'City'), h('dd', {}, placeName(w.location)))));
}

const EVENT_TEXT = {
  'block.changed': (d) => `block ${d.block} (${d.phase}, ${d.block_in_cycle + 1} of cycle ${d.cycle_id})`,
  'phase.changed': (d) => `cycle ${d.cycle_id} entered ${d.phase} at block ${d.block}`,
  'cycle.started': (d) => `cycle ${d.cycle_id} started: blocks ${d.start_block}–${d.end_block}`,
  'dao.committed': (d) => `${d.commitments.length} DAOs committed for cycle ${d.cycle_id}${d.abstained?.length ? `, ${d.abstained.length} abstained` : ''}`,
  'dao.revealed': (d) => `${d.votes.length} DAO votes revealed for cycle ${d.cycle_id}`,
  'weather.resolved': (d) => `cycle ${d.cycle_id}: ${d.outcome}, final score ${num(d.final_score, 1)} in ${placeName(d.location)}`,
  'cycle.settled': (d) => `cycle ${d.cycle_id} settled ${d.outcome}: ${d.positions} positions, ${d.wagers} wagers`,
};

function logEvent(type, data) {
  const list = $('events');
  const time = new Date().toLocaleTimeString([], { hour12: false });
  list.prepend(h('li', { 'data-type': type }, h('time', {}, time), ' ', h('span', { class: 'etype' }, type), ' ', EVENT_TEXT[type](data)));
  while (list.children.length > 30) list.lastElementChild.remove();
}

async function loadCurrent() {
  const d = await api('/cycles/current');
  const known = state.cycle;
  state.cycle = { ...d.cycle };
  // A block event may have overtaken this reply: keep the newer block.
  if (known && known.id === d.cycle.id && known.current_block > d.cycle.current_block) {
    Object.assign(state.cycle, { current_block: known.current_block, block_in_cycle: known.block_in_cycle, phase: known.phase });
  }
  state.participants = d.participants;
  state.actions = d.actions_available ?? [];
  state.dao = d.dao ?? null;
  state.weather = d.weather ?? null;
  learnPhase(cycleLength(state.cycle), state.cycle.block_in_cycle, state.cycle.phase);
  renderCycle();
  renderParticipants();
  renderSentiment();
  renderWeatherNow();
  if (state.view === 'daos') renderCommitments();
}

function onBlock(d) {
  const now = Date.now();
  if (state.lastBlock && d.block === state.lastBlock.block + 1 && d.timestamp > state.lastBlock.timestamp) {
    state.gaps.push(d.timestamp - state.lastBlock.timestamp);
    if (state.gaps.length > 7) state.gaps.shift();
  }
  if (!state.lastBlock || d.block !== state.lastBlock.block) state.lastBlock = { block: d.block, timestamp: d.timestamp, seenAt: now };
  const c = state.cycle;
  if (c) learnPhase(cycleLength(c), d.block_in_cycle, d.phase);
  if (!c || c.id !== d.cycle_id) {
    refresh(loadCurrent);
    return;
  }
  if (d.block < c.current_block) return;
  Object.assign(c, { current_block: d.block, block_in_cycle: d.block_in_cycle, phase: d.phase });
  renderCycle();
  // The snapshot is served from memory: it brings the phase progress and
  // the participants, which no public event carries.
  refresh(loadCurrent);
  if (state.pendingFaucet > 0 && session.token) {
    state.pendingFaucet--;
    refresh(loadBalance);
  }
}

function onEvent(type, d) {
  logEvent(type, d);
  switch (type) {
    case 'block.changed':
      onBlock(d);
      break;
    case 'phase.changed':
      if (state.view === 'portfolio' && session.token) refresh(loadPortfolio);
      break;
    case 'dao.committed':
      if (state.cycle?.id === d.cycle_id) state.dao = { ...(state.dao ?? {}), commitments: d.commitments };
      renderSentiment();
      if (state.view === 'daos') renderCommitments();
      break;
    case 'dao.revealed':
      markStale('daos');
      break;
    case 'weather.resolved':
      if (state.cycle?.id === d.cycle_id) {
        state.weather = { outcome: d.outcome, final_score: d.final_score, confidence: d.confidence, location: d.location };
        renderWeatherNow();
      }
      markStale('weather');
      break;
    case 'cycle.settled':
      // The DAO view samples the weights itself when it reloads.
      if (state.view !== 'daos') refresh(sampleDaos);
      markStale('daos', 'weather', 'portfolio');
      break;
    default:
      break;
  }
}

function markStale(...views) {
  for (const v of views) state.stale.add(v);
  if (views.includes(state.view)) refresh(LOADERS[state.view]);
}

// Runs a loader, showing an API failure in the banner (until a later load
// succeeds) rather than in the console.
let loadFailed = false;
async function refresh(loader) {
  try {
    await loader();
    if (loadFailed) {
      loadFailed = false;
      banner(null);
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 401) return;
    loadFailed = true;
    banner(e.status === 429 ? `Too many requests for now: ${e.message}` : `Could not load data: ${e.message}`);
  }
}

// ---------------------------------------------------------------- DAO analytics

const WEIGHT_KEY = 'kalewx.daoSamples';

function daoSamples() {
  try {
    return JSON.parse(localStorage.getItem(WEIGHT_KEY) ?? '[]');
  } catch {
    return [];
  }
}

// Effective weights are only published for the current cycle, so the page
// keeps the history it has seen, in this browser: one sample per cycle.
function recordSample(daos, cycleId) {
  const samples = daoSamples().filter((s) => s.cycle !== cycleId);
  samples.push({ cycle: cycleId, daos: Object.fromEntries(daos.map((d) => [d.id, { a: d.accuracy, w: d.weight }])) });
  samples.sort((a, b) => a.cycle - b.cycle);
  localStorage.setItem(WEIGHT_KEY, JSON.stringify(samples.slice(-200)));
}

async function sampleDaos() {
  const list = await api('/daos');
  recordSample(list.daos, list.cycle_id);
}

function renderCommitments() {
  const c = state.cycle;
  const list = state.dao?.commitments ?? [];
  $('commit-cycle').textContent = c ? `· cycle ${c.id}` : '';
  fill($('commit-table').tBodies[0], list.map((x) => h('tr', {}, h('th', { scope: 'row' }, x.dao), h('td', {}, h('code', { class: 'hash' }, x.commitment)))),
    c && c.phase === 'planting' ? 'The DAOs commit to their votes when the working phase starts.' : 'No commitments for this cycle.', 2);
}

function renderVotes(cycleId, votes) {
  $('votes-cycle').textContent = cycleId === null ? '' : `· cycle ${cycleId}`;
  const rows = votes.filter((v) => v.revealed !== false).map((v) => {
    const check = v.valid === false ? h('span', { class: 'badge bad' }, 'mismatch')
      : v.correct === true ? h('span', { class: 'badge good' }, 'correct')
        : v.correct === false ? h('span', { class: 'badge muted-badge' }, 'wrong') : h('span', { class: 'muted' }, 'verified');
    const conf = Number(v.confidence ?? 0);
    return h('tr', {},
      h('th', { scope: 'row' }, v.dao),
      h('td', {}, outcomeBadge(v.prediction)),
      h('td', { class: 'conf' }, h('span', { class: 'meter tiny', 'aria-hidden': 'true' }, h('span', { 'data-w': conf })), ` ${pct(conf, 0)}`),
      h('td', { class: 'reason' }, v.reasoning ?? ''),
      h('td', {}, check));
  });
  fill($('votes-table').tBodies[0], rows, 'No votes have been revealed yet.', 5);
  for (const bar of $('votes-table').querySelectorAll('[data-w]')) bar.style.width = `${(Number(bar.dataset.w) * 100).toFixed(0)}%`;
}

function renderDaoTable() {
  const daos = [...(state.daos ?? [])].sort((a, b) => b.weight - a.weight);
  fill($('dao-table').tBodies[0], daos.map((d) => h('tr', {},
    h('th', { scope: 'row' }, d.id),
    h('td', { class: 'num' }, num(d.base_weight, 2)),
    h('td', { class: 'num' }, pct(d.accuracy)),
    h('td', { class: 'num' }, `${d.correct_votes}/${d.total_votes}`),
    h('td', { class: 'num' }, num(d.volume, 2)),
    h('td', { class: 'num' }, num(d.recency, 2)),
    h('td', { class: 'num' }, num(d.weight, 3)),
    h('td', { class: 'num' }, d.last_vote_cycle >= 0 ? d.last_vote_cycle : '—'))), 'No DAOs.', 8);
  const maxW = Math.max(...daos.map((d) => d.weight), 0.001);
  barRows($('dao-bars'), {
    label: 'accuracy and effective weight of each DAO',
    legend: [{ cls: 'acc', text: 'accuracy' }, { cls: 'weight', text: 'effective weight' }],
    rows: daos.map((d) => ({
      label: d.id,
      bars: [
        { value: d.accuracy, max: 1, cls: 'acc', text: pct(d.accuracy, 0), title: `${d.id} accuracy ${pct(d.accuracy)}` },
        { value: d.weight, max: maxW, cls: 'weight', text: num(d.weight, 3), title: `${d.id} effective weight ${num(d.weight, 3)}` },
      ],
    })),
  });
  const pick = $('dao-pick');
  if (pick.options.length !== daos.length) {
    const keep = pick.value;
    pick.replaceChildren(...[...daos].sort((a, b) => a.id.localeCompare(b.id)).map((d) => h('option', { value: d.id }, d.id)));
    if (keep) pick.value = keep;
  }
  renderWeightHistory();
}

function renderWeightHistory() {
  const id = $('dao-pick').value;
  const samples = daoSamples().filter((s) => s.daos[id]);
  lineChart($('dao-weight-chart'), {
    label: `accuracy and effective weight of ${id} in each cycle`,
    series: [
      { name: 'accuracy', cls: 'acc', points: samples.map((s) => ({ x: s.cycle, y: s.daos[id].a, title: `cycle ${s.cycle}: accuracy ${pct(s.daos[id].a)}` })) },
      { name: 'effective weight', cls: 'weight', points: samples.map((s) => ({ x: s.cycle, y: s.daos[id].w, title: `cycle ${s.cycle}: weight ${num(s.daos[id].w, 3)}` })) },
    ],
    yMin: 0,
    yMax: 1,
    yFormat: (v) => v.toFixed(2),
    xLabel: 'cycle',
    empty: 'No cycle seen yet.',
  });
}

async function loadDaoHistory() {
  const id = $('dao-pick').value;
  if (!id) return;
  const d = await api(`/daos/${encodeURIComponent(id)}`);
  $('dao-rule').textContent = d.rule ? `Rule: ${d.rule}` : '';
  const votes = [...(d.recent_votes ?? [])].filter((v) => v.correct !== null && v.correct !== undefined).sort((a, b) => a.cycle_id - b.cycle_id);
  let hits = 0;
  const points = votes.map((v, i) => {
    if (v.correct) hits++;
    return { x: v.cycle_id, y: hits / (i + 1), cls: v.correct ? 'good' : 'bad', title: `cycle ${v.cycle_id}: voted ${v.prediction} at ${pct(v.confidence, 0)}, ${v.correct ? 'correct' : 'wrong'}` };
  });
  lineChart($('dao-acc-chart'), {
    label: `${id}: hit rate over its recent settled votes`,
    series: [{ name: 'hit rate', cls: 'acc', points }],
    yMin: 0,
    yMax: 1,
    yFormat: (v) => `${Math.round(v * 100)}%`,
    refLines: [{ y: d.accuracy, label: `decayed accuracy ${pct(d.accuracy, 0)}`, cls: 'acc' }],
    xLabel: 'cycle',
    empty: `${id} has no settled votes yet.`,
  });
  $('dao-acc-text').textContent = votes.length
    ? `${hits} of its last ${votes.length} settled votes were correct; each dot is one vote (green: correct).`
    : '';
  renderWeightHistory();
}

async function loadDaos() {
  const c = state.cycle;
  const votesCycle = !c ? null : ['revealing', 'settling', 'settled'].includes(c.phase) ? c.id : c.id > 0 ? c.id - 1 : null;
  const [list, votes] = await Promise.all([
    api('/daos'),
    votesCycle === null ? Promise.resolve({ votes: [] }) : api(`/cycles/${votesCycle}/votes`).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return { votes: [] };
      throw e;
    }),
  ]);
  state.daos = list.daos;
  recordSample(list.daos, list.cycle_id);
  renderCommitments();
  renderVotes(votesCycle, votes.votes ?? []);
  renderDaoTable();
  await loadDaoHistory();
  state.stale.delete('daos');
}

// ---------------------------------------------------------------- weather

// Kale suitability of an observation (SPEC §7), to show how the score is made.
const FACTORS = [
  { key: 'temp_c', name: 'Temperature', unit: '°C', lo: 18, hi: 24, tol: 5, weight: 0.4, cls: 'f0' },
  { key: 'humidity_pct', name: 'Humidity', unit: '%', lo: 60, hi: 70, tol: 10, weight: 0.25, cls: 'f1' },
  { key: 'wind_kmh', name: 'Wind', unit: 'km/h', lo: 5, hi: 15, tol: 5, weight: 0.2, cls: 'f2' },
  { key: 'precip_mm', name: 'Precipitation', unit: 'mm', lo: 0.5, hi: 5, tol: 2, weight: 0.15, cls: 'f3' },
];

function factorScore(f, v) {
  if (v >= f.lo && v <= f.hi) return 100;
  const dist = v < f.lo ? f.lo - v : v - f.hi;
  return Math.max(0, 100 - (dist / f.tol) * 100);
}

// r: /cycles/{id}/results of the latest revealed cycle, or null.
function renderCity(r) {
  const box = $('wx-city');
  const obs = r?.observation;
  if (!r) {
    box.replaceChildren(h('p', { class: 'muted' }, 'No cycle has been revealed yet.'));
    return;
  }
  const head = h('p', { class: 'city' }, h('strong', {}, placeName(r.location)), h('span', { class: 'muted' }, ` · cycle ${r.cycle_id} · `), outcomeBadge(r.outcome));
  const blend = h('p', { class: 'small' }, 'Final score ', h('strong', {}, num(r.final_score, 1)), obs
    ? ` = 0.6 × DAO consensus ${num(r.dao_score, 1)} + 0.4 × weather ${num(r.weather_score, 1)}`
    : ` = DAO consensus ${num(r.dao_score, 1)} (no weather observation)`);
  if (!obs) {
    box.replaceChildren(head, blend);
    return;
  }
  const rows = FACTORS.map((f) => {
    const v = Number(obs[f.key]);
    const s = factorScore(f, v);
    return { f, v, s, part: s * f.weight };
  });
  const chart = h('div', { class: 'chart' });
  const table = h('table', { class: 'compact' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Factor'), h('th', { scope: 'col', class: 'num' }, 'Observed'), h('th', { scope: 'col', class: 'num' }, 'Optimal'), h('th', { scope: 'col', class: 'num' }, 'Score'), h('th', { scope: 'col', class: 'num' }, 'Weight'))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('th', { scope: 'row' }, r.f.name),
      h('td', { class: 'num' }, `${num(r.v, 1)} ${r.f.unit}`),
      h('td', { class: 'num' }, `${r.f.lo}–${r.f.hi}`),
      h('td', { class: 'num' }, num(r.s, 0)),
      h('td', { class: 'num' }, `${Math.round(r.f.weight * 100)} %`)))));
  box.replaceChildren(head, blend,
    h('p', {}, 'Kale suitability ', h('strong', { id: 'wx-suitability' }, num(obs.suitability, 1)), h('span', { class: 'muted' }, ` / 100 · ${obs.source ?? ''}${obs.fallback ? ' (fallback)' : ''}`)),
    chart, h('div', { class: 'table-wrap' }, table));
  splitBar(chart, {
    label: `suitability ${num(obs.suitability, 1)} of 100, by factor`,
    total: 100,
    parts: rows.map((r) => ({ value: r.part, cls: r.f.cls, text: `${r.f.name} ${num(r.part, 1)}` })),
  });
}

async function loadWeather() {
  const [list, stats] = await Promise.all([api('/cycles?limit=60'), api('/weather/statistics')]);
  const cycles = list.cycles ?? [];
  for (const c of cycles) state.cycles.set(c.id, c);
  const revealed = cycles.find((c) => c.location);
  renderCity(revealed ? await api(`/cycles/${revealed.id}/results`) : null);
  const scored = cycles.filter((c) => c.final_score !== null && c.final_score !== undefined);
  lineChart($('wx-score-chart'), {
    label: `final weather score of the last ${scored.length} cycles; above 50 is GOOD`,
    series: [{
      name: 'final score',
      cls: 'score',
      points: scored.map((c) => ({ x: c.id, y: Number(c.final_score), cls: String(c.outcome).toLowerCase(), title: `cycle ${c.id}: ${c.outcome}, ${num(c.final_score, 1)} in ${placeName(c.location)}` })),
    }],
    yMin: 0,
    yMax: 100,
    yFormat: (v) => String(Math.round(v)),
    refLines: [{ y: 50, label: 'GOOD above, BAD below', cls: 'mid' }],
    xLabel: 'cycle',
    empty: 'No cycle has a final score yet.',
  });
  $('wx-stats').replaceChildren(
    h('div', {}, h('dt', {}, 'Cycles'), h('dd', {}, stats.cycles ?? 0)),
    h('div', {}, h('dt', {}, 'GOOD'), h('dd', {}, stats.good ?? 0)),
    h('div', {}, h('dt', {}, 'BAD'), h('dd', {}, stats.bad ?? 0)),
    h('div', {}, h('dt', {}, 'Average score'), h('dd', {}, num(stats.average_final_score, 1))));
  const cities = Object.entries(stats.by_city ?? {}).sort((a, b) => b[1].count - a[1].count);
  const maxCount = Math.max(1, ...cities.map(([, v]) => v.count));
  barRows($('wx-city-chart'), {
    label: 'cycles and average kale suitability by city',
    legend: [{ cls: 'count', text: 'cycles drawn' }, { cls: 'suit', text: 'average suitability' }],
    rows: cities.map(([id, v]) => ({
      label: placeName(id),
      bars: [
        { value: v.count, max: maxCount, cls: 'count', text: `${v.count}×`, title: `${placeName(id)}: ${v.count} cycles` },
        { value: Number(v.average_suitability ?? 0), max: 100, cls: 'suit', text: num(v.average_suitability, 0), title: `${placeName(id)}: average suitability ${num(v.average_suitability, 1)}` },
      ],
    })),
    empty: 'No city has been drawn yet.',
  });
  fill($('wx-table').tBodies[0], cycles.map((c) => h('tr', {},
    h('th', { scope: 'row' }, c.id),
    h('td', {}, outcomeBadge(c.outcome)),
    h('td', { class: 'num' }, num(c.final_score, 1)),
    h('td', { class: 'num' }, pct(c.confidence, 0)),
    h('td', {}, placeName(c.location)),
    h('td', {}, c.state))), 'No cycles yet.', 6);
  state.stale.delete('weather');
}

// ---------------------------------------------------------------- portfolio

async function loadBalance() {
  const me = await api('/me');
  const b = me.balances ?? {};
  $('pf-available').textContent = kale(b.available);
  $('pf-escrow').textContent = kale(b.escrow);
  $('pf-address').textContent = me.custodial_address ?? '—';
  const seen = `${b.available}/${b.escrow}`;
  if (state.pendingFaucet > 0 && state.balanceSeen !== null && seen !== state.balanceSeen) {
    state.pendingFaucet = 0;
    say($('faucet-out'), `Faucet payment arrived: ${kale(b.available)} KALE available.`, true);
  }
  state.balanceSeen = seen;
  return me;
}

const PERF_FIELDS = [
  ['cycles_participated', 'Cycles', (v) => v],
  ['total_positions', 'Positions', (v) => v],
  ['total_staked', 'Staked', kale],
  ['total_rewards', 'Rewards', kale],
  ['winning_positions', 'Won', (v) => v],
  ['losing_positions', 'Lost', (v) => v],
  ['roi_ratio', 'Return', (v) => pct(v)],
  ['avg_weather_modifier', 'Average modifier', (v) => `×${num(v, 3)}`],
];

function renderPerformance(perf) {
  $('pf-perf').replaceChildren(...PERF_FIELDS.map(([k, label, f]) => h('div', {}, h('dt', {}, label), h('dd', {}, f(perf[k])))));
}

const SETTLED_WAGER = new Set(['won', 'lost', 'refunded']);

// Per cycle: what went in (stakes and wagers) and what came back.
function perCycle(positions, wagers) {
  const by = new Map();
  const at = (id) => by.get(id) ?? by.set(id, { id, staked: 0n, returned: 0n, open: false }).get(id);
  for (const p of positions) {
    const r = at(p.cycle_id);
    r.staked += toStroops(p.stake) ?? 0n;
    if (p.status === 'settled') r.returned += toStroops(p.final_reward) ?? 0n;
    else r.open = true;
  }
  for (const w of wagers) {
    const r = at(w.cycle_id);
    r.staked += toStroops(w.amount) ?? 0n;
    if (SETTLED_WAGER.has(w.status)) r.returned += toStroops(w.payout) ?? 0n;
    else r.open = true;
  }
  return [...by.values()].sort((a, b) => b.id - a.id);
}

function renderPortfolio(positions, wagers, perf) {
  renderPerformance(perf);
  const cyc = perCycle(positions, wagers);
  fill($('pf-cycles').tBodies[0], cyc.map((r) => {
    const c = state.cycles.get(r.id);
    const net = r.returned - r.staked;
    return h('tr', { 'data-cycle': r.id, 'data-settled': r.open ? 'no' : 'yes' },
      h('th', { scope: 'row' }, r.id),
      h('td', {}, c?.outcome ? outcomeBadge(c.outcome) : h('span', { class: 'muted' }, r.open ? 'pending' : '—')),
      h('td', { class: 'num' }, kale(formatStroops(r.staked))),
      h('td', { class: 'num' }, r.open ? h('span', { class: 'muted' }, 'pending') : kale(formatStroops(r.returned))),
      h('td', { class: `num ${r.open ? '' : net >= 0n ? 'gain' : 'loss'}` }, r.open ? '—' : kale(formatStroops(net))));
  }), 'No actions yet: plant, store or wager during a planting phase.', 5);
  const settled = cyc.filter((r) => !r.open).reverse();
  columns($('pf-cycle-chart'), {
    label: 'net result of each settled cycle in KALE',
    bars: settled.map((r) => {
      const net = r.returned - r.staked;
      return { label: String(r.id), value: Number(net) / 1e7, cls: net >= 0n ? 'good' : 'bad', title: `cycle ${r.id}: ${displayAmount(formatStroops(net))} KALE` };
    }),
    yFormat: (v) => v.toLocaleString(undefined, { maximumFractionDigits: 2 }),
    empty: 'Results appear here once a cycle you took part in is settled.',
  });
  fill($('pf-positions').tBodies[0], positions.map((p) => h('tr', { 'data-status': p.status },
    h('th', { scope: 'row' }, p.cycle_id),
    h('td', {}, p.type),
    h('td', { class: 'num' }, kale(p.stake)),
    h('td', {}, h('span', { class: `status ${p.status}`, title: p.error ?? '' }, p.status)),
    h('td', { class: 'num' }, p.kale_block ?? '—'),
    h('td', { class: 'num' }, kale(p.base_reward)),
    h('td', { class: 'num' }, p.weather_modifier === null || p.weather_modifier === undefined ? '—' : `×${num(p.weather_modifier, 4)}`),
    h('td', { class: 'num' }, kale(p.final_reward)))), 'No positions yet.', 8);
  fill($('pf-wagers').tBodies[0], wagers.map((w) => h('tr', { 'data-status': w.status },
    h('th', { scope: 'row' }, w.cycle_id),
    h('td', {}, outcomeBadge(w.direction)),
    h('td', { class: 'num' }, kale(w.amount)),
    h('td', {}, h('span', { class: `status ${w.status}` }, w.status)),
    h('td', { class: 'num' }, kale(w.payout)))), 'No wagers yet.', 5);
}

async function loadPortfolio() {
  if (!session.token) return;
  const [, pos, wag, perf, list] = await Promise.all([
    loadBalance(), api('/me/positions'), api('/me/wagers'), api('/me/performance'), api('/cycles?limit=60'),
  ]);
  for (const c of list.cycles ?? []) state.cycles.set(c.id, c);
  renderPortfolio(pos.positions ?? [], wag.wagers ?? [], perf);
  state.stale.delete('portfolio');
}

const ACTION_OF_FORM = { 'f-agri': ['plant', 'store'], 'f-wager': ['wager'], 'f-stay': ['stay'] };

function renderActionHints() {
  const c = state.cycle;
  const open = state.actions;
  $('act-phase').textContent = c ? `Cycle ${c.id} is ${c.phase}: ${open.length ? `${open.join(', ')} accepted` : 'no actions are accepted until the next cycle'}.` : '';
  for (const [id, types] of Object.entries(ACTION_OF_FORM)) $(id).dataset.open = types.some((t) => open.includes(t)) ? 'yes' : 'no';
}

// Validates an amount field like the API; marks the field and says why.
function amountOf(input, out, limits) {
  const r = parseAmount(input.value.trim(), 'amount', limits);
  input.setAttribute('aria-invalid', r.ok ? 'false' : 'true');
  if (!r.ok) {
    say(out, r.message, false);
    input.focus();
  }
  return r.ok;
}

// Submits a form's request once at a time and reports the outcome in its
// live region; an API rejection shows the API's own message.
function handle(form, out, run) {
  form.addEventListener('input', (ev) => ev.target.setAttribute('aria-invalid', 'false'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button[type=submit]');
    if (button.disabled) return;
    button.disabled = true;
    out.textContent = '';
    try {
      await run();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      say(out, e.message, false);
      out.dataset.code = e.code;
    } finally {
      button.disabled = false;
    }
  });
}

const accepted = (r, what) => `${what} accepted in cycle ${r.cycle_id}, block ${r.block} (action ${r.action_id}${r.replayed ? ', replayed' : ''}).`;

function setupActionForms() {
  const agri = $('f-agri');
  handle(agri, $('agri-out'), async () => {
    const kind = agri.elements.agriculture_type.value;
    const input = $('agri-amount');
    if (!amountOf(input, $('agri-out'), LIMITS[kind])) return;
    const amount = input.value.trim();
    const r = await api('/actions', { method: 'POST', body: { type: 'agriculture', agriculture_type: kind, amount }, idempotencyKey: crypto.randomUUID() });
    say($('agri-out'), accepted(r, `${kind === 'plant' ? 'Plant' : 'Store'} of ${displayAmount(amount)} KALE`), true);
    await Promise.all([loadPortfolio(), loadCurrent()]);
  });
  const wager = $('f-wager');
  handle(wager, $('wager-out'), async () => {
    const direction = wager.elements.direction.value;
    const input = $('wager-amount');
    if (!amountOf(input, $('wager-out'), LIMITS.wager)) return;
    const amount = input.value.trim();
    const r = await api('/actions', { method: 'POST', body: { type: 'wager', direction, amount }, idempotencyKey: crypto.randomUUID() });
    say($('wager-out'), accepted(r, `Wager of ${displayAmount(amount)} KALE on ${direction.toUpperCase()}`), true);
    await Promise.all([loadPortfolio(), loadCurrent()]);
  });
  handle($('f-stay'), $('stay-out'), async () => {
    const r = await api('/actions', { method: 'POST', body: { type: 'stay' }, idempotencyKey: crypto.randomUUID() });
    say($('stay-out'), accepted(r, 'Staying out'), true);
    await loadCurrent();
  });
  handle($('f-faucet'), $('faucet-out'), async () => {
    const input = $('faucet-amount');
    if (!amountOf(input, $('faucet-out'), LIMITS.faucet)) return;
    const r = await api('/devnet/faucet', { method: 'POST', body: { amount: input.value.trim() } });
    state.pendingFaucet = 20;
    say($('faucet-out'), `Faucet request ${r.id} is ${r.status}; the balance updates when the devnet pays it.`, true);
    await loadBalance();
  });
}

// ---------------------------------------------------------------- account

function renderSession() {
  const name = session.username;
  const signedIn = Boolean(session.token);
  $('nav-account').textContent = signedIn ? name : 'Sign in';
  $('acct-in').hidden = !signedIn;
  $('acct-out').hidden = signedIn;
  $('acct-name').textContent = name ?? '';
  $('pf-signed-out').hidden = signedIn;
  $('pf-body').hidden = !signedIn;
}

function fieldError(input, out, message) {
  input.setAttribute('aria-invalid', 'true');
  say(out, message, false);
  input.focus();
}

function setupAccountForms() {
  const reg = $('f-register');
  handle(reg, $('reg-out'), async () => {
    const out = $('reg-out');
    const username = $('reg-user').value.trim();
    const password = $('reg-pass').value;
    const wallet = $('reg-wallet').value.trim();
    const bad = checkUsername(username);
    if (bad) return fieldError($('reg-user'), out, bad);
    const weak = checkPassword(password);
    if (weak) return fieldError($('reg-pass'), out, weak);
    const body = { username, password };
    if (wallet) body.wallet = wallet;
    const u = await api('/users', { method: 'POST', body });
    reg.reset();
    say(out, `Registered ${u.username}. Sign in to start.`, true);
    $('login-user').value = u.username;
    $('login-pass').focus();
  });
  const login = $('f-login');
  handle(login, $('login-out'), async () => {
    const out = $('login-out');
    const username = $('login-user').value.trim();
    const password = $('login-pass').value;
    if (!username) return fieldError($('login-user'), out, 'username is empty');
    if (!password) return fieldError($('login-pass'), out, 'password is empty');
    const t = await api('/auth/token', { method: 'POST', body: { username, password } });
    login.reset();
    out.textContent = '';
    session.start(t.token, t.user?.username ?? username, t.expires_in);
    location.hash = '#/portfolio';
  });
  $('logout').addEventListener('click', () => {
    session.end();
    location.hash = '#/account';
  });
  document.addEventListener('kalewx:session', () => {
    renderSession();
    state.stale.add('portfolio');
    if (!session.token && state.view === 'portfolio') banner('You are signed out.');
  });
}

// ---------------------------------------------------------------- views

const LOADERS = { dashboard: loadCurrent, daos: loadDaos, weather: loadWeather, portfolio: loadPortfolio, account: async () => {} };

function show() {
  const name = (location.hash.match(/^#\/(\w+)/) ?? [])[1];
  const view = LOADERS[name] ? name : 'dashboard';
  const changed = view !== state.view;
  state.view = view;
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== `view-${view}`;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  banner(null);
  if (changed) $('main').focus({ preventScroll: true });
  if (state.stale.has(view) || view === 'portfolio') refresh(LOADERS[view]);
}

function setLive(s) {
  const live = $('live');
  live.dataset.state = s;
  $('live-text').textContent = s === 'live' ? 'live' : 'reconnecting…';
}

function start() {
  setupActionForms();
  setupAccountForms();
  $('dao-pick').addEventListener('change', () => refresh(loadDaoHistory));
  renderSession();
  window.addEventListener('hashchange', show);
  follow(onEvent, setLive);
  refresh(loadCurrent);
  setInterval(renderCountdown, 1000);
  show();
}

start();
