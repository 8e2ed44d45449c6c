// rambok's page, the part that writes: a form per event type (built from GET /api/forms, the words
// `rambok record TYPE` uses), previewed through the server's dry run before anything is saved; a
// correction from a history row; the entries awaiting an attest; the workbook import; and the
// revisor's digest. Every request that changes something goes through rambok.send (app.js).
'use strict';

(() => {
  const R = () => window.rambok;
  const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  /** The types a controller records most, first in the list; the rest follow. */
  const COMMON = ['frame_changed', 'frame_set', 'savings_required', 'transfer', 'budget_line', 'outcome',
    'forecast', 'investment_budget', 'investment_outcome', 'goal_defined', 'activity_defined',
    'assignment_defined', 'status_updated', 'target_set', 'measured'];
  const NAMES = {
    frame_set: 'Budgetram', frame_changed: 'Ramförändring', savings_required: 'Besparingskrav',
    transfer: 'Ramväxling', budget_line: 'Internbudget (rad)', outcome: 'Utfall', forecast: 'Prognos',
    investment_budget: 'Investeringsbudget', investment_outcome: 'Investeringsutfall', goal_defined: 'Mål',
    activity_defined: 'Aktivitet', assignment_defined: 'Uppdrag', status_updated: 'Statusändring',
    target_set: 'Målvärde för indikator', measured: 'Mätning av indikator', office_defined: 'Förvaltning',
    area_defined: 'Verksamhetsområde', correction: 'Rättelse', approved: 'Attest', year_closed: 'Stängt år',
    reported: 'Tryckt belopp (för avstämning)', indicator_defined: 'Indikator',
  };

  const st = { forms: null, place: null, context: null, previewed: null, book: null };
  const $ = (id) => document.getElementById(id);
  const el = (...a) => R().el(...a);
  const isController = () => (R().info() || {}).role === 'controller';
  const fieldId = (path) => 'f-' + path.replace(/[^a-z0-9]/gi, '-');

  /**
   * A change through rambok.send, its refusal an answer: `{ok, status, reply}`. Only what is no
   * answer from the server (a signed-out session, a lost connection) is thrown on.
   */
  async function change(method, url, body, contentType) {
    try {
      const response = await R().send(method, url, body, contentType);
      return { ok: true, status: response.status, reply: await response.json() };
    } catch (e) {
      if (e.reply === undefined) throw e;
      return { ok: false, status: e.status, reply: { ...e.reply, error: e.message } };
    }
  }

  // ---- the forms ---------------------------------------------------------------------------

  async function loadForms() {
    if (st.forms) return;
    st.forms = await (await R().api('forms')).json();
    const select = $('form-typ');
    const group = (label, types) => {
      const g = el('optgroup', { label });
      for (const t of types) g.appendChild(el('option', { value: t }, `${NAMES[t] || t} (${t})`));
      return g;
    };
    const all = st.forms.forms.map((f) => f.type);
    select.replaceChildren(group('Vanliga', COMMON.filter((t) => all.includes(t))),
      group('Övriga', all.filter((t) => !COMMON.includes(t))));
    select.value = 'frame_changed';
    buildForm();
  }

  function formOf(type) {
    return st.forms.forms.find((f) => f.type === type);
  }

  /** What a figure's sign does, in words, from the form's description of the field. */
  function signWords(field, text) {
    const t = text.replace(/[\s\u00a0\u202f]/g, '');
    if (!field.sign || t === '' || /^[-−+]?[0,.]*$/.test(t)) return '';
    return /^[-−]/.test(t) ? field.sign.negative : field.sign.positive;
  }

  function fieldRow(field, value) {
    const id = fieldId(field.path);
    const row = el('div', { class: 'falt', 'data-path': field.path });
    const label = el('label', { for: id }, field.label);
    if (field.required) label.appendChild(el('span', { class: 'krav' }, ' (krävs)'));
    row.appendChild(label);
    const described = [id + '-hjalp', id + '-fel'];
    let input;
    if (field.input === 'unit') {
      input = el('select', { id, name: field.path });
      for (const u of st.forms.units) input.appendChild(el('option', { value: u }, u));
      input.value = value || 'tkr';
    } else {
      input = el('input', { id, name: field.path, type: 'text', autocomplete: 'off', spellcheck: 'false' });
      if (field.input === 'amount' || field.input === 'number') input.setAttribute('inputmode', 'decimal');
      if (field.required) input.setAttribute('aria-required', 'true');
      if (value) input.value = value;
    }
    row.appendChild(input);
    if (field.sign) {
      const words = el('p', { id: id + '-tecken', class: 'tecken', 'aria-live': 'polite' });
      const show = () => { words.textContent = signWords(field, input.value); };
      input.addEventListener('input', show);
      show();
      row.appendChild(words);
      described.unshift(id + '-tecken');
    }
    input.setAttribute('aria-describedby', described.join(' '));
    row.appendChild(el('p', { id: id + '-hjalp', class: 'hjalp' }, field.help));
    row.appendChild(el('p', { id: id + '-fel', class: 'fel', hidden: '' }));
    return row;
  }

  /** Builds the chosen type's form; `prefill` gives values by path. */
  function buildForm(prefill = {}) {
    const form = formOf($('form-typ').value);
    $('form-om').textContent = form.about;
    const s = R().selection();
    const defaults = { office: s.office, year: String(s.year), ...prefill };
    const box = $('form-falt');
    box.replaceChildren();
    if (st.context) box.appendChild(el('p', { class: 'sammanhang', id: 'form-sammanhang' }, st.context));
    const groups = new Map();
    for (const f of form.fields) {
      if (!groups.has(f.group)) {
        const fs = el('fieldset', { class: 'grupp' });
        fs.appendChild(el('legend', {}, f.group));
        groups.set(f.group, fs);
        box.appendChild(fs);
      }
      groups.get(f.group).appendChild(fieldRow(f, defaults[f.path]));
    }
    clearResult();
  }

  function values() {
    const out = {};
    for (const input of $('form-falt').querySelectorAll('input, select')) {
      if (input.value.trim() !== '') out[input.name] = input.value;
    }
    return out;
  }

  function clearErrors(box) {
    for (const p of box.querySelectorAll('.falt .fel')) { p.textContent = ''; p.hidden = true; }
    for (const i of box.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  }

  function clearResult() {
    st.previewed = null;
    $('form-resultat').replaceChildren();
    clearErrors($('form-falt'));
  }

  /** Shows a refusal beside its field when the form has it, else under the form; true if beside. */
  function showFieldError(box, result, reply) {
    const row = reply.field ? box.querySelector(`.falt[data-path="${CSS.escape(reply.field)}"]`) : null;
    if (!row) {
      result.replaceChildren(el('p', { class: 'fel', role: 'alert' }, reply.error));
      result.focus();
      return false;
    }
    const input = row.querySelector('input, select');
    const p = row.querySelector('.fel');
    p.textContent = reply.message || reply.error;
    p.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return true;
  }

  async function preview(e) {
    e.preventDefault();
    clearResult();
    const type = $('form-typ').value;
    const body = { type, values: values() };
    if (st.place) body.place = st.place;
    const result = $('form-resultat');
    result.replaceChildren(el('p', {}, 'Prövar …'));
    const { ok, reply } = await change('POST', '/api/preview', body);
    if (!ok) {
      result.replaceChildren();
      showFieldError($('form-falt'), result, reply);
      return;
    }
    st.previewed = reply;
    const lines = reply.effects.map((x) => el('li', { class: 'effekt' }, x.text));
    const what = reply.added
      ? `Godtagen av samma kontroller som en import. Sparas som nästa post efter sekvens ${reply.head_seq}, registrerad av ${reply.recorded_by}.`
      : 'Den här händelsen finns redan i liggaren: att spara den ändrar ingenting.';
    const save = el('button', { type: 'button', id: 'form-spara' }, 'Spara');
    save.disabled = !reply.added;
    save.addEventListener('click', confirm);
    const edit = el('button', { type: 'button', class: 'liten' }, 'Ändra');
    edit.addEventListener('click', () => { clearResult(); $('form-falt').querySelector('input, select').focus(); });
    result.replaceChildren(
      el('h3', {}, 'Förhandsgranskning: inget är sparat ännu'),
      el('p', {}, what),
      lines.length ? el('ul', { id: 'form-effekt' }) : el('p', { class: 'hjalp' }, 'Händelsen flyttar ingen budgetram.'),
      el('div', { class: 'knappar' }));
    if (lines.length) result.querySelector('#form-effekt').replaceChildren(...lines);
    result.querySelector('.knappar').append(save, edit);
    save.focus();
  }

  async function confirm() {
    const p = st.previewed;
    if (!p) return;
    const result = $('form-resultat');
    const { ok, status, reply } = await change('POST', '/api/events', { events: [p.event], expected_seq: p.head_seq });
    if (status === 409) {
      st.previewed = null;
      result.replaceChildren(el('p', { class: 'fel', role: 'alert' },
        'Liggaren har ändrats sedan förhandsgranskningen: förhandsgranska igen innan du sparar.'));
      result.focus();
      return;
    }
    if (!ok) {
      st.previewed = null;
      result.replaceChildren();
      showFieldError($('form-falt'), result, reply);
      return;
    }
    st.previewed = null;
    const show = el('button', { type: 'button', id: 'form-visa' }, 'Visa i budgeten');
    show.addEventListener('click', () => R().switchTab('budget'));
    const effects = el('ul');
    effects.append(...p.effects.map((x) => el('li', { class: 'effekt' }, x.text)));
    result.replaceChildren(
      el('p', { class: 'ok', id: 'form-sparad' }, `Sparad som sekvens ${reply.head_seq}.`),
      effects,
      el('div', { class: 'knappar' }));
    result.querySelector('.knappar').appendChild(show);
    st.place = null;
    st.context = null;
    await R().refresh();
    show.focus();
  }

  /** A correction of a history line: the form for it, with the line's office-year as its place. */
  function openCorrection(line, h) {
    st.place = { office: h.office, year: h.year, area: h.area || null };
    st.context = `Rättar sekvens ${line.seq}: ${line.text} (${line.date}, registrerad av ${line.recorded_by}).`;
    R().switchTab('registrera');
    loadForms().then(() => {
      $('form-typ').value = 'correction';
      buildForm({ corrects: line.id });
      $(fieldId('reason')).focus();
    });
  }

  /** For app.js's history table: a "Rätta" button on each line not yet corrected. */
  R().correctionButton = (h, data) => {
    if (!isController()) return null;
    return (row) => {
      if (row.strong || !row.cells[0] || !('figure' in row.cells[0])) return null;
      const line = data.lines.find((l) => String(l.seq) === row.cells[0].figure);
      if (!line || line.corrected_by) return null;
      const b = el('button', { type: 'button', class: 'liten', 'aria-label': `Rätta sekvens ${line.seq}` }, 'Rätta');
      b.addEventListener('click', (e) => { e.stopPropagation(); openCorrection(line, h); });
      return b;
    };
  };

  // ---- attests -----------------------------------------------------------------------------

  async function loadPending() {
    const section = $('attest');
    const box = section.querySelector('.innehall');
    const year = R().selection().year;
    const reply = await (await R().api('pending', { year })).json();
    const table = el('table', { class: 'tabell', id: 'attest-tabell' });
    table.appendChild(el('caption', {}, `Att attestera ${year}: ${R().counted(reply.count, 'post', 'poster')}`));
    const head = el('tr');
    for (const h of ['Seq', 'Händelse', 'Registrerad av', 'Registrerad', '']) head.appendChild(el('th', {}, h));
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const e of reply.entries) {
      const tr = el('tr', { 'data-id': e.id });
      for (const text of [String(e.seq), e.text, e.recorded_by, e.recorded_at_shown]) tr.appendChild(el('td', {}, text));
      const td = tr.appendChild(el('td'));
      if (e.own) {
        td.appendChild(el('span', { class: 'hjalp' }, 'din egen: någon annan attesterar'));
      } else if (isController()) {
        const b = el('button', { type: 'button', class: 'attestera', 'aria-label': `Attestera sekvens ${e.seq}` }, 'Attestera');
        b.addEventListener('click', () => approve(e));
        td.appendChild(b);
      }
      body.appendChild(tr);
    }
    box.replaceChildren(reply.entries.length ? table : el('p', { class: 'hjalp' }, `Inget väntar på attest för ${year}.`));
  }

  async function approve(entry) {
    const status = $('attest-status');
    const { ok, reply } = await change('POST', '/api/events', { events: [{ type: 'approved', event: entry.id }] });
    status.className = ok ? 'ok' : 'fel';
    status.textContent = ok
      ? `Attesterad: sekvens ${entry.seq}, av ${reply.recorded_by}.`
      : `Attesten registrerades inte: ${reply.message || reply.error}`;
    if (ok) {
      await loadPending();
      await R().refresh();
    }
  }

  // ---- the workbook import -----------------------------------------------------------------

  const BOOK = [
    { name: 'file', label: 'Arbetsbok (.xlsx)', kind: 'file', required: true },
    { name: 'type', label: 'Bladet har', kind: 'select', options: [['budget_line', 'internbudget (budget_line)'], ['outcome', 'utfall (outcome)']] },
    { name: 'office', label: 'Förvaltning', required: true, help: 'Förvaltningens kod, t.ex. KLK' },
    { name: 'year', label: 'År', required: true, help: 'Budgetåret, t.ex. 2017' },
    { name: 'unit', label: 'Enhet', kind: 'select', options: [['tkr', 'tkr'], ['kr', 'kr'], ['mnkr', 'mnkr']] },
    { name: 'sign', label: 'Kostnader skrivs', kind: 'select', options: [['cost', 'positiva'], ['result', 'negativa (intäkter positiva)']] },
    { name: 'map', label: 'Kolumner', required: true, help: 'Vilken kolumn som har vad, t.ex. area=A,revenue=B,cost=C,net=D: området (kod eller namn) och netto, eller intäkter och kostnader' },
    { name: 'first_row', label: 'Första raden', help: 'Tabellens första rad efter rubrikerna (standard 2); den slutar vid första tomma rad eller vid en summarad, som ska stämma' },
    { name: 'sheet', label: 'Blad', help: 'Bladets namn (standard: det första)' },
    { name: 'body', label: 'Beslutsorgan', help: 'Internbudget: vem som beslutade, t.ex. KS' },
    { name: 'date', label: 'Datum', help: 'Internbudget: beslutsdatum; utfall: när det rapporterades (ÅÅÅÅ-MM-DD)' },
    { name: 'case', label: 'Ärendebeteckning', help: 'Internbudget, t.ex. KS 2016/1130' },
    { name: 'paragraph', label: 'Paragraf', help: 'Internbudget, t.ex. § 65' },
    { name: 'period', label: 'Månad', help: 'Utfall: månaden det går till (ÅÅÅÅ-MM; standard december)' },
    { name: 'note', label: 'Anteckning', help: 'Fri text på varje händelse, oftast källan' },
  ];

  function buildBook() {
    const box = $('bok-falt');
    if (box.childElementCount) return;
    const s = R().selection();
    for (const f of BOOK) {
      const id = 'bok-' + f.name.replace('_', '-');
      const row = el('div', { class: 'falt', 'data-path': f.name });
      const label = el('label', { for: id }, f.label);
      if (f.required) label.appendChild(el('span', { class: 'krav' }, ' (krävs)'));
      let input;
      if (f.kind === 'select') {
        input = el('select', { id, name: f.name });
        for (const [v, text] of f.options) input.appendChild(el('option', { value: v }, text));
      } else {
        input = el('input', { id, name: f.name, type: f.kind || 'text', autocomplete: 'off' });
        if (f.kind === 'file') input.setAttribute('accept', '.xlsx,' + XLSX);
      }
      if (f.name === 'office') input.value = s.office;
      if (f.name === 'year') input.value = String(s.year);
      input.setAttribute('aria-describedby', `${id}-hjalp ${id}-fel`);
      row.append(label, input, el('p', { id: id + '-hjalp', class: 'hjalp' }, f.help || ''),
        el('p', { id: id + '-fel', class: 'fel', hidden: '' }));
      box.appendChild(row);
    }
  }

  function bookQuery(dryRun, expected) {
    const q = new URLSearchParams();
    for (const input of $('bok-falt').querySelectorAll('input:not([type=file]), select')) {
      if (input.value.trim() !== '') q.set(input.name, input.value.trim());
    }
    if (dryRun) q.set('dry_run', 'true');
    if (expected !== undefined) q.set('expected_seq', String(expected));
    return q.toString();
  }

  async function sendBook(dryRun, expected) {
    const file = $('bok-file').files[0];
    const result = $('bok-resultat');
    clearErrors($('bok-falt'));
    if (!file) {
      showFieldError($('bok-falt'), result, { field: 'file', message: 'välj arbetsboken att importera' });
      return null;
    }
    const { ok, reply } = await change('POST', '/api/import.xlsx?' + bookQuery(dryRun, expected), file, XLSX);
    if (!ok) {
      result.replaceChildren();
      if (!showFieldError($('bok-falt'), result, reply) && reply.errors) {
        result.replaceChildren(el('ul', { class: 'fel', role: 'alert', id: 'bok-fel' },
          ...reply.errors.map((x) => el('li', {}, x.text))));
      }
      return null;
    }
    return reply;
  }

  async function previewBook(e) {
    e.preventDefault();
    const result = $('bok-resultat');
    result.replaceChildren(el('p', {}, 'Läser arbetsboken …'));
    const reply = await sendBook(true);
    if (!reply) return;
    const save = el('button', { type: 'button', id: 'bok-spara' }, `Importera ${R().counted(reply.added, 'händelse', 'händelser')}`);
    save.disabled = !reply.added;
    save.addEventListener('click', async () => {
      const done = await sendBook(false, reply.head_seq);
      if (!done) return;
      result.replaceChildren(el('p', { class: 'ok', id: 'bok-sparad' },
        `Importerade ${R().counted(done.added, 'händelse', 'händelser')} ur ${done.sheet}; liggaren är vid sekvens ${done.head_seq}.`));
      await R().refresh();
    });
    const rows = reply.events.map((ev, i) => {
      const tr = el('tr');
      const kr = (v) => (v === undefined ? '' : R().money(v, false, { unit: 'tkr', sign: 'cost', decimals: 0 }));
      for (const text of [String(reply.rows[i]), ev.area, kr(ev.revenue), kr(ev.cost), kr(ev.net !== undefined ? ev.net : ev.amount)]) {
        tr.appendChild(el('td', {}, text));
      }
      return tr;
    });
    const table = el('table', { class: 'tabell' });
    table.appendChild(el('caption', {}, `${reply.sheet}: ${R().counted(reply.events.length, 'händelse', 'händelser')}, tkr`));
    const head = el('tr');
    for (const h of ['Rad', 'Område', 'Intäkter', 'Kostnader', 'Netto']) head.appendChild(el('th', {}, h));
    table.appendChild(el('thead')).appendChild(head);
    table.appendChild(el('tbody')).append(...rows);
    const effects = el('ul', { id: 'bok-effekt' });
    effects.append(...reply.effects.map((x) => el('li', { class: 'effekt' }, x.text)));
    result.replaceChildren(el('h3', {}, 'Förhandsgranskning: inget är sparat ännu'), table, effects,
      el('div', { class: 'knappar' }));
    result.querySelector('.knappar').appendChild(save);
    save.focus();
  }

  // ---- the revisor's digest ----------------------------------------------------------------

  async function checkDigest(e) {
    e.preventDefault();
    const out = $('kontrollsumma-resultat');
    const file = $('kontrollsumma-fil').files[0];
    if (!file) {
      out.className = 'fel';
      out.textContent = 'Välj den sparade kontrollsumman (en .json-fil från rambok).';
      return;
    }
    const { ok, reply: v } = await change('POST', '/api/verify', await file.text(), 'application/json');
    if (!ok) {
      out.className = 'fel';
      out.textContent = 'Kontrollsumman kunde inte prövas: ' + v.error;
    } else if (v.ok) {
      out.className = 'ok';
      out.textContent = `Liggaren bygger vidare på kontrollsumman vid sekvens ${v.against.seq}: inget före den har skrivits om. Kedjan håller: ${R().counted(v.records, 'post', 'poster')}.`;
    } else {
      out.className = 'fel';
      out.textContent = 'Liggaren bygger inte vidare på kontrollsumman: ' + v.error;
    }
  }

  // ---- wiring ------------------------------------------------------------------------------

  document.addEventListener('rambok:start', (e) => {
    const info = e.detail;
    for (const tab of ['registrera', 'attest']) {
      document.querySelector(`.flikar button[data-flik="${tab}"]`).hidden = info.role !== 'controller';
    }
    $('kontrollsumma').hidden = info.role === 'controller';
  });

  document.addEventListener('rambok:flik', (e) => {
    const show = (p) => p.catch((x) => R().showStatus('Något kunde inte hämtas: ' + x.message, true));
    if (e.detail === 'registrera') {
      buildBook();
      show(loadForms());
    }
    if (e.detail === 'attest') show(loadPending());
  });

  document.addEventListener('DOMContentLoaded', () => {
    $('form-typ').addEventListener('change', () => { st.place = null; st.context = null; buildForm(); });
    $('form-handelse').addEventListener('submit', (e) => preview(e).catch((x) => R().showStatus(x.message, true)));
    $('form-handelse').addEventListener('input', () => { if (st.previewed) clearResult(); });
    $('form-rensa').addEventListener('click', () => { st.place = null; st.context = null; buildForm(); });
    $('bok-form').addEventListener('submit', (e) => previewBook(e).catch((x) => R().showStatus(x.message, true)));
    $('attest-uppdatera').addEventListener('click', () => loadPending());
    $('kontrollsumma-ladda').addEventListener('click', () => {
      const seq = (R().info() || { head: { seq: 0 } }).head.seq;
      R().download('digest', {}, `rambok-kontrollsumma-${seq}.json`);
    });
    $('kontrollsumma-form').addEventListener('submit', (e) => checkDigest(e));
  });
})();
