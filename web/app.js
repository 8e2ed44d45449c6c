// rambok's web page: plain JavaScript, no build step. It asks the API (docs/api.md) for each
// report as table cells with exact kronor, formats the figures the Swedish way (space between
// thousands, decimal comma, a real minus sign, rounding half away from zero) and redraws every
// table and the waterfall chart when the year, office or date changes. A person signs in with a
// name and password (a session cookie, and a CSRF value this page sends with every change); a
// program's API token works too. An admin gets a tab to manage accounts and tokens.
'use strict';

const TOKEN_KEY = 'rambok-token';
const UNIT_ORE = { kr: 100n, tkr: 100000n, mnkr: 100000000n };
const REDRAW_DELAY_MS = 120;

const state = {
  token: null,
  csrf: null, // the session's CSRF value, when signed in with name and password
  info: null,
  dates: [],
  generation: 0,
  history: null, // {office, year, area}
  timer: null,
};

// ---- numbers -------------------------------------------------------------------------------

/** An exact decimal string in kronor ("-1325.76") as öre, in a BigInt. */
function toOre(kr) {
  const negative = kr.startsWith('-');
  const [whole, frac = ''] = (negative ? kr.slice(1) : kr).split('.');
  const ore = BigInt(whole || '0') * 100n + BigInt((frac + '00').slice(0, 2));
  return negative ? -ore : ore;
}

/** Groups digits in threes with a space: 477569 → "477 569". */
function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** A count with its noun in the right number, as the CLI says it: "1 händelse", "2 händelser". */
function counted(n, one, many) {
  return group(String(n)) + ' ' + (Number(n) === 1 ? one : many);
}

/**
 * Formats an amount as the CLI's tables do. `flips` says whether it follows the sign convention
 * (frames, costs) or keeps its sign (differences). Rounds half away from zero.
 */
function money(kr, flips, style) {
  let ore = toOre(kr);
  if (flips && style.sign === 'result') ore = -ore;
  const step = UNIT_ORE[style.unit] / 10n ** BigInt(style.decimals);
  const negative = ore < 0n;
  const abs = negative ? -ore : ore;
  let q = abs / step;
  if ((abs % step) * 2n >= step) q += 1n;
  const digits = q.toString().padStart(style.decimals + 1, '0');
  const cut = digits.length - style.decimals;
  const int = group(digits.slice(0, cut));
  const frac = style.decimals > 0 ? ',' + digits.slice(cut) : '';
  return (negative && q !== 0n ? '\u2212' : '') + int + frac;
}

// ---- the API -------------------------------------------------------------------------------

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  return q.toString();
}

function authHeaders() {
  return state.token ? { Authorization: 'Bearer ' + state.token } : {};
}

/** A 401 means the session or token is no longer good: back to the sign-in form, saying why. */
async function refused(response) {
  const why = await errorText(response);
  signOut((state.token ? 'Token godtogs inte: ' : 'Du är utloggad: ') + why);
  return new Error(why);
}

async function api(path, params = {}) {
  const response = await fetch('/api/' + path + '?' + query(params), { headers: authHeaders() });
  if (response.status === 401) throw await refused(response);
  if (!response.ok) throw new Error(await errorText(response));
  return response;
}

/**
 * Every request that changes something goes through here: a JSON body (or a Blob or text, sent as
 * it is with `contentType`), and the session's CSRF value (the server refuses a change made with
 * the session cookie without it), or the token. A refusal throws with the server's message; the
 * error also carries the status and the reply's JSON (`e.status`, `e.reply`), so a form can show
 * a field's problem beside the field.
 */
async function send(method, url, body, contentType) {
  const headers = { ...authHeaders() };
  if (state.csrf) headers['X-CSRF-Token'] = state.csrf;
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && typeof body !== 'string') {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  const response = await fetch(url, { method, headers, body: payload });
  if (response.status === 401) throw await refused(response);
  if (!response.ok) {
    const reply = await response.json().catch(() => ({}));
    throw Object.assign(new Error(reply.error || statusWords(response.status)), { status: response.status, reply });
  }
  return response;
}

async function errorText(response) {
  try {
    const body = await response.json();
    return body.error || statusWords(response.status);
  } catch (_) {
    return statusWords(response.status);
  }
}

// The browser's status text is English ("Not Found"); the page says it in Swedish.
function statusWords(status) {
  const words = {
    400: 'felaktig fråga', 401: 'inte inloggad', 403: 'inte tillåtet', 404: 'finns inte',
    409: 'liggaren har ändrats sedan du läste den', 413: 'för stor', 422: 'kunde inte registreras',
    429: 'för många försök',
    500: 'fel på servern', 502: 'servern nås inte', 503: 'servern är inte tillgänglig',
  };
  return (words[status] || 'oväntat svar') + ' (HTTP ' + status + ')';
}

async function download(path, params, fileName) {
  try {
    const blob = await (await api(path, params)).blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = fileName;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) {
    showStatus('Nedladdningen misslyckades: ' + e.message, true);
  }
}

// ---- tables --------------------------------------------------------------------------------

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function cellText(cell, style) {
  if (cell === null) return '';
  if ('missing' in cell) return '–';
  if ('text' in cell) return cell.text;
  if ('figure' in cell) return cell.figure;
  return money(cell.kr, cell.flips, style);
}

const STATUS_CLASS = {
  'Genomförd': 'klar', 'Uppfyllt': 'klar', 'Påbörjad': 'pagar', 'Delvis uppfyllt': 'pagar',
  'Ej påbörjad': 'ej', 'Ej uppfyllt': 'ej', 'Ej bedömd': 'ej',
};

/**
 * One report table; `onRow(index)` makes its rows clickable, `action(row)` may give a row an
 * element (a button) in a last column of its own.
 */
function renderTable(table, style, onRow, action) {
  const numeric = table.headers.map((_, i) =>
    table.rows.some((r) => r.cells[i] && ('kr' in r.cells[i] || 'figure' in r.cells[i] || 'missing' in r.cells[i])));
  const t = el('table', { class: 'tabell' });
  t.appendChild(el('caption', {}, table.title));
  const head = el('tr');
  table.headers.forEach((h, i) => head.appendChild(el('th', numeric[i] ? { class: 'tal' } : {}, h)));
  if (action) head.appendChild(el('th', {}, ''));
  t.appendChild(el('thead')).appendChild(head);
  const body = t.appendChild(el('tbody'));
  table.rows.forEach((row, index) => {
    const tr = el('tr', row.strong ? { class: 'summa' } : {});
    table.headers.forEach((_, i) => {
      const cell = row.cells[i] === undefined ? null : row.cells[i];
      const text = cellText(cell, style);
      const cls = [numeric[i] ? 'tal' : '', STATUS_CLASS[text] ? 'status-' + STATUS_CLASS[text] : '']
        .filter(Boolean).join(' ');
      tr.appendChild(el('td', cls ? { class: cls } : {}, text));
    });
    if (action) {
      const td = el('td');
      const made = action(row);
      if (made) td.appendChild(made);
      tr.appendChild(td);
    }
    if (onRow && !row.strong) {
      tr.classList.add('klickbar');
      tr.tabIndex = 0;
      tr.addEventListener('click', () => onRow(index));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') onRow(index); });
    }
    body.appendChild(tr);
  });
  return t;
}

function style(decimals) {
  return { unit: $('enhet').value, sign: $('tecken').value, decimals };
}

function $(id) {
  return document.getElementById(id);
}

// ---- the reports on the page ---------------------------------------------------------------

function selection() {
  const index = Number($('datum').value);
  return {
    year: Number($('ar').value),
    office: $('kontor').value,
    asOf: state.dates[index] || null,
  };
}

function common(s) {
  return { as_of: s.asOf, sign: $('tecken').value, unit: $('enhet').value };
}

/** The reports of the budget tab: where each comes from and what a click on a row does. */
const REPORTS = [
  {
    id: 'ramar', path: 'frames', file: (s) => `ramar-${s.year}`,
    params: (s) => ({ year: s.year }),
    click: (s, data, i) => data.frames[i] && showHistory(data.frames[i].office, s.year, null),
  },
  {
    id: 'brygga', path: 'bridge', file: (s) => `brygga-${s.office}-${s.year}`,
    params: (s) => ({ office: s.office, from: s.year - 1, to: s.year }),
    click: (s) => showHistory(s.office, s.year, null),
  },
  {
    id: 'driftsbudget', path: 'budget', file: (s) => `driftsbudget-${s.office}-${s.year}`,
    params: (s) => ({ office: s.office, year: s.year, compare: s.year - 1 }),
    empty: (data) => data.rows.length === 0,
    click: (s, data, i) => data.rows[i] && showHistory(s.office, s.year, data.rows[i].area),
  },
  {
    id: 'investeringar', path: 'investments', file: (s) => `investeringar-${s.office}-${s.year}`,
    params: (s) => ({ office: s.office, year: s.year, compare: s.year - 1 }),
    empty: (data) => data.rows.length === 0,
  },
  {
    id: 'utfall', path: 'outcome', file: (s) => `utfall-${s.office}-${s.year}`,
    params: (s) => ({ office: s.office, year: s.year }),
    empty: (data) => !data.rows.some((r) => r.kind === 'area' && r.through_month !== null),
  },
  {
    id: 'mal', path: 'goals', file: (s) => `mal-${s.year}`,
    params: (s) => ({ year: s.year }),
    empty: (data) => data.focus_areas.length === 0,
  },
];

function downloadLinks(section, path, params, file) {
  const box = section.querySelector('.ladda');
  box.replaceChildren();
  for (const [format, label] of [['csv', 'CSV'], ['xlsx', 'XLSX']]) {
    const b = el('button', { type: 'button', class: 'liten', title: `Ladda ner det som visas som ${label}` }, label);
    b.addEventListener('click', () => download(path, { ...params, format }, `${file}.${format}`));
    box.appendChild(b);
  }
}

async function drawReport(report, s, generation) {
  const section = $(report.id);
  const params = { ...report.params(s), ...common(s) };
  const reply = await (await api(report.path, { ...params, format: 'tables' })).json();
  if (generation !== state.generation) return;
  const box = section.querySelector('.innehall');
  box.replaceChildren();
  const nothing = report.empty && report.empty(reply.data);
  section.classList.toggle('tom', Boolean(nothing));
  if (nothing) {
    box.appendChild(el('p', { class: 'hjalp' }, `Inget registrerat för ${s.office} ${s.year}` +
      (s.asOf ? ` till och med ${s.asOf}.` : '.')));
  } else {
    const onRow = report.click ? (i) => report.click(s, reply.data, i) : null;
    for (const table of reply.tables) box.appendChild(renderTable(table, style(reply.decimals), onRow));
  }
  downloadLinks(section, report.path, params, report.file(s));
}

async function drawWaterfall(s, generation) {
  const blob = await (await api('bridge.svg', { office: s.office, from: s.year - 1, to: s.year, ...common(s) })).blob();
  if (generation !== state.generation) return;
  const img = $('vattenfall');
  const old = img.src;
  img.src = URL.createObjectURL(blob);
  if (old.startsWith('blob:')) URL.revokeObjectURL(old);
}

async function drawHistory(s, generation) {
  const h = state.history;
  const section = $('historik');
  if (!h) {
    section.hidden = true;
    return;
  }
  const params = { office: h.office, year: h.year, area: h.area, ...common(s) };
  const reply = await (await api('history', { ...params, format: 'tables' })).json();
  if (generation !== state.generation) return;
  const box = section.querySelector('.innehall');
  const correct = window.rambok.correctionButton && window.rambok.correctionButton(h, reply.data);
  box.replaceChildren(...reply.tables.map((t) => renderTable(t, style(reply.decimals), null, correct)));
  section.querySelector('h2').textContent =
    `Historik: ${h.area ? 'internbudget ' + h.area : 'budgetram'} ${h.office} ${h.year}`;
  downloadLinks(section, 'history', params, `historik-${h.office}-${h.year}`);
  section.hidden = false;
}

function showHistory(office, year, area) {
  state.history = { office, year, area };
  const generation = state.generation;
  drawHistory(selection(), generation)
    .then(() => $('historik').scrollIntoView({ behavior: 'smooth', block: 'start' }))
    .catch((e) => showStatus('Historiken kunde inte hämtas: ' + e.message, true));
}

async function drawRevision(s, generation) {
  const section = $('kontroll');
  const params = { year: s.year };
  const reply = await (await api('control', { ...params, format: 'tables' })).json();
  if (generation !== state.generation) return;
  const d = reply.data;
  section.querySelector('.innehall').replaceChildren(
    el('p', { class: d.errors ? 'fel' : d.findings.length ? 'varning' : 'ok' },
      d.findings.length
        ? `${counted(d.errors, 'fel', 'fel')}, ${counted(d.warnings, 'varning', 'varningar')}, ${counted(d.notes, 'notering', 'noteringar')} för ${s.year} (delegationsordning: ${d.delegation}).`
        : `Inga iakttagelser för ${s.year}.`),
    ...reply.tables.map((t) => renderTable(t, style(0))));
  downloadLinks(section, 'control', params, `kontroll-${s.year}`);
}

async function verify() {
  const box = $('verifiering').querySelector('.innehall');
  box.replaceChildren(el('p', {}, 'Verifierar …'));
  try {
    const v = await (await api('verify')).json();
    box.replaceChildren(v.ok
      ? el('p', { class: 'ok', id: 'verifiering-resultat' },
        `Kedjan håller: ${counted(v.records, 'post', 'poster')}, varje hash stämmer. Senaste: nr ${v.head.seq}, ${v.head.hash}`)
      : el('p', { class: 'fel', id: 'verifiering-resultat' }, `Liggaren är skadad: ${v.error}`));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'fel' }, 'Verifieringen misslyckades: ' + e.message));
  }
}

// ---- redrawing -----------------------------------------------------------------------------

function showStatus(text, error) {
  const p = $('status');
  p.textContent = text;
  p.classList.toggle('fel', Boolean(error));
}

function showDate() {
  const s = selection();
  const out = $('datum-text');
  out.textContent = s.asOf || 'alla beslut';
  out.dataset.datum = s.asOf || '';
  // Said by a screen reader as the slider moves: the date, never the step's index.
  $('datum').setAttribute('aria-valuetext', s.asOf ? 'beslut till och med ' + s.asOf : 'alla beslut');
}

async function redraw() {
  const generation = ++state.generation;
  const s = selection();
  showDate();
  document.body.dataset.laddar = '1';
  const tab = currentTab();
  const work = tab === 'konton' ? [drawAccounts(generation)] : tab === 'revision'
    ? [drawRevision(s, generation)]
    : tab === 'budget'
      ? [...REPORTS.map((r) => drawReport(r, s, generation)), drawWaterfall(s, generation), drawHistory(s, generation)]
      : [];
  const results = await Promise.allSettled(work);
  if (generation !== state.generation) return;
  const failed = results.find((r) => r.status === 'rejected');
  showStatus(failed ? 'Något kunde inte hämtas: ' + failed.reason.message : '', Boolean(failed));
  document.body.dataset.visat = s.asOf || '';
  delete document.body.dataset.laddar;
}

function redrawSoon() {
  showDate();
  clearTimeout(state.timer);
  state.timer = setTimeout(redraw, REDRAW_DELAY_MS);
}

// ---- start ---------------------------------------------------------------------------------

function fillPickers(info) {
  const years = info.frame_years.length ? info.frame_years : info.years;
  $('ar').replaceChildren(...info.years.map((y) => el('option', { value: y }, String(y))));
  $('ar').value = String(years[years.length - 1]);
  $('kontor').replaceChildren(...info.offices.map((o) => el('option', { value: o.code }, `${o.code} – ${o.name}`)));
  if (info.offices.some((o) => o.code === 'KLK')) $('kontor').value = 'KLK';
  state.dates = info.dates;
  const slider = $('datum');
  slider.max = String(Math.max(0, info.dates.length - 1));
  slider.value = slider.max;
  $('vem').replaceChildren(
    el('span', {}, `${info.name} (${info.role}) · liggaren har ${counted(info.head.seq, 'händelse', 'händelser')} `),
    Object.assign(el('button', { type: 'button', class: 'liten', id: 'logga-ut' }, 'Logga ut'), { onclick: logOut }));
  $('flik-knapp-konton').hidden = info.role !== 'admin';
}

/** Signs out: ends the session on the server (or forgets the token), then shows the form. */
async function logOut() {
  if (state.csrf) {
    try {
      await send('DELETE', '/api/session');
    } catch (_) {
      // Already over on the server; the form is shown all the same.
    }
  }
  signOut('');
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.csrf = null;
  // The next to sign in starts on the budget tab (the accounts tab may not be theirs).
  markTab('budget');
  $('app').hidden = true;
  $('inloggning').hidden = false;
  $('inloggning-fel').textContent = message;
  $('vem').replaceChildren();
}

async function start() {
  $('inloggning').hidden = true;
  try {
    state.info = await (await api('info')).json();
  } catch (e) {
    if (!$('app').hidden || !$('inloggning').hidden) return;
    signOut('Servern svarade inte. Försök igen om en stund.');
    return;
  }
  fillPickers(state.info);
  $('app').hidden = false;
  document.dispatchEvent(new CustomEvent('rambok:start', { detail: state.info }));
  await redraw();
}

/** The arrow keys, Home and End move between the visible tabs and select the one they reach. */
function tabKey(e) {
  const tabs = [...document.querySelectorAll('.flikar button')].filter((b) => !b.hidden);
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  const tab = tabs[(to + tabs.length) % tabs.length];
  tab.focus();
  if (tab.dataset.flik !== currentTab()) switchTab(tab.dataset.flik);
}

function currentTab() {
  const active = document.querySelector('.flikar button.aktiv');
  return active ? active.dataset.flik : 'budget';
}

/**
 * Shows tab `name` and its panel, and says so: the selected tab has aria-selected and is the one
 * Tab stops at (roving tabindex); the others are reached with the arrow keys.
 */
function markTab(name) {
  for (const b of document.querySelectorAll('.flikar button')) {
    const chosen = b.dataset.flik === name;
    b.classList.toggle('aktiv', chosen);
    b.setAttribute('aria-selected', String(chosen));
    b.tabIndex = chosen ? 0 : -1;
    $('flik-' + b.dataset.flik).hidden = !chosen;
  }
}

function switchTab(name) {
  markTab(name);
  if (name === 'revision') verify();
  document.dispatchEvent(new CustomEvent('rambok:flik', { detail: name }));
  redraw();
}

/** After a write: the catalogue again (a new decision date, year or office), then every table. */
async function refresh() {
  const atEnd = Number($('datum').value) === state.dates.length - 1;
  const chosen = { year: $('ar').value, office: $('kontor').value };
  state.info = await (await api('info')).json();
  fillPickers(state.info);
  if ([...$('ar').options].some((o) => o.value === chosen.year)) $('ar').value = chosen.year;
  if ([...$('kontor').options].some((o) => o.value === chosen.office)) $('kontor').value = chosen.office;
  if (!atEnd) $('datum').value = String(Math.min(Number($('datum').value), state.dates.length - 1));
  await redraw();
}

function wire() {
  $('datum').addEventListener('input', redrawSoon);
  for (const id of ['ar', 'kontor', 'tecken', 'enhet']) $(id).addEventListener('change', redraw);
  $('stang-historik').addEventListener('click', () => { state.history = null; $('historik').hidden = true; });
  $('verifiera').addEventListener('click', verify);
  $('export-xlsx').addEventListener('click', () => {
    const year = selection().year;
    const unit = $('enhet').value;
    download('export.xlsx', { year, unit, sign: $('tecken').value }, `revision-${year}-${unit}.xlsx`);
  });
  for (const b of document.querySelectorAll('.flikar button')) b.addEventListener('click', () => switchTab(b.dataset.flik));
  document.querySelector('.flikar').addEventListener('keydown', tabKey);
  $('inloggning-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('namn').value.trim(), $('losenord').value);
    $('losenord').value = '';
  });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('token').value = '';
    start();
  });
  wireAccounts();
}

function tokenFromAddress() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return decodeURIComponent(match[1]);
}

// What forms.js (recording, attesting, the revisor's digest) uses of this page.
window.rambok = Object.assign(window.rambok || {}, {
  money, toOre, counted, api, send, errorText, el, $, selection, style, download, refresh, switchTab,
  showStatus, renderTable, info: () => state.info,
});

document.addEventListener('DOMContentLoaded', () => {
  wire();
  const fromAddress = tokenFromAddress();
  if (fromAddress) sessionStorage.setItem(TOKEN_KEY, fromAddress);
  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (state.token) start();
  else resume();
});
