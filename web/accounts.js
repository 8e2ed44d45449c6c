// rambok's web page, the accounts part: signing in with a name and a password, resuming a
// session after a reload, and the admin's tab for accounts and API tokens. Loaded before app.js,
// whose helpers ($, el, api, send, counted, state) it uses once the page has loaded.
'use strict';

/** The admin's forms: a new account, a new token. */
function wireAccounts() {
  $('nytt-konto').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { name: $('nytt-konto-namn').value.trim(), role: $('nytt-konto-roll').value, password: $('nytt-konto-losenord').value };
    $('nytt-konto-losenord').value = '';
    adminChange('POST', '/api/users', body, `Kontot ${body.name} är skapat och kan logga in.`)
      .then((ok) => { if (ok) $('nytt-konto-namn').value = ''; });
  });
  $('ny-token').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { name: $('ny-token-namn').value.trim(), role: $('ny-token-roll').value };
    if ($('ny-token-slut').value) body.expires = $('ny-token-slut').value;
    $('ny-token-visad').textContent = '';
    adminChange('POST', '/api/tokens', body, `Token ${body.name} är skapad.`, async (response) => {
      const made = await response.json();
      $('ny-token-visad').textContent = `Den nya token (visas bara nu, spara den): ${made.token}`;
      $('ny-token-namn').value = '';
    });
  });
}

// ---- signing in ------------------------------------------------------------------------------

async function signIn(name, password) {
  $('inloggning-fel').textContent = '';
  let response;
  try {
    response = await fetch('/api/session', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }),
    });
  } catch (_) {
    $('inloggning-fel').textContent = 'Servern svarade inte. Försök igen om en stund.';
    return;
  }
  if (!response.ok) {
    $('inloggning-fel').textContent = 'Inloggningen misslyckades: ' + (await errorText(response));
    return;
  }
  const session = await response.json();
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.csrf = session.csrf;
  start();
}

/** After a reload: the session cookie (HttpOnly, so unseen here) may still be good. */
async function resume() {
  try {
    const response = await fetch('/api/session');
    if (response.ok) {
      state.csrf = (await response.json()).csrf;
      return start();
    }
  } catch (_) {
    // No server: the form says so when used.
  }
  signOut('');
  offerSso();
}

/** Single sign-on (OpenID Connect), when the server has it: a link that starts it. */
async function offerSso() {
  try {
    const response = await fetch('/api/oidc');
    const sso = response.ok ? await response.json() : { enabled: false };
    if (sso.enabled) {
      $('sso-knapp').textContent = `Logga in med ${sso.label}`;
      $('sso').hidden = false;
    }
  } catch (_) {
    // No server: the password form says so when used.
  }
}

// ---- the admin's tab -------------------------------------------------------------------------

async function adminChange(method, url, body, done, then) {
  const status = $('konton-status');
  try {
    const response = await send(method, url, body);
    if (then) await then(response);
    status.textContent = done;
    status.classList.remove('fel');
    await drawAccounts(state.generation);
    return true;
  } catch (e) {
    status.textContent = 'Ändringen gjordes inte: ' + e.message;
    status.classList.add('fel');
    return false;
  }
}

function actionButton(label, onClick) {
  return Object.assign(el('button', { type: 'button', class: 'liten' }, label), { onclick: onClick });
}

function adminTable(caption, headers, rows) {
  const t = el('table', { class: 'tabell' });
  t.appendChild(el('caption', {}, caption));
  const head = el('tr');
  for (const h of headers) head.appendChild(el('th', {}, h));
  t.appendChild(el('thead')).appendChild(head);
  const body = t.appendChild(el('tbody'));
  for (const cells of rows) {
    const tr = el('tr');
    for (const c of cells) {
      const td = el('td');
      if (typeof c === 'string') td.textContent = c;
      else td.appendChild(c);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  return t;
}

async function drawAccounts(generation) {
  const [users, tokens] = await Promise.all([
    api('users').then((r) => r.json()), api('tokens').then((r) => r.json()),
  ]);
  if (generation !== state.generation) return;
  const path = (kind, name) => `/api/${kind}/${encodeURIComponent(name)}`;
  $('konton').querySelector('.innehall').replaceChildren(adminTable(
    `Konton (${counted(users.users.length, 'konto', 'konton')})`,
    ['Namn', 'Roll', 'Skapat (UTC)', 'Status', 'Ändra'],
    users.users.map((u) => [u.name, u.role, u.created_at.slice(0, 10), u.disabled ? 'avstängt' : 'aktivt',
      u.disabled
        ? actionButton(`Öppna ${u.name}`, () => adminChange('PATCH', path('users', u.name), { disabled: false }, `Kontot ${u.name} är öppnat igen.`))
        : actionButton(`Stäng av ${u.name}`, () => adminChange('PATCH', path('users', u.name), { disabled: true }, `Kontot ${u.name} är avstängt.`))])));
  $('tokenlista').querySelector('.innehall').replaceChildren(adminTable(
    `API-token (${counted(tokens.tokens.length, 'token', 'token')})`,
    ['Namn', 'Roll', 'Skapad (UTC)', 'Giltig t.o.m.', 'Ändra'],
    tokens.tokens.map((t) => [t.name, t.role, t.created_at.slice(0, 10), t.valid_through || 'tills vidare',
      actionButton(`Återkalla ${t.name}`, () => adminChange('DELETE', path('tokens', t.name), undefined, `Token ${t.name} är återkallad.`))])));
}

