// CoinEstate frontend: lists properties from the API on the same origin and shows which API
// version and region answered (X-App-Version / X-App-Region). Polls every 5 s so a blue-green
// switch is visible without reloading.
'use strict';

const REFRESH_MS = 5000;

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function render(properties) {
  const tbody = document.querySelector('#properties tbody');
  const rows = properties.map((p) => {
    const tr = document.createElement('tr');
    const perToken = p.tokens > 0 ? (p.price_eth / p.tokens).toFixed(5) : '—';
    const name = cell(p.name);
    name.dataset.property = p.id;  // one [data-property] per property, its text the name
    tr.append(name, cell(p.city), cell(Number(p.price_eth).toFixed(2), 'num'),
              cell(String(p.tokens), 'num'), cell(perToken, 'num'));
    return tr;
  });
  tbody.replaceChildren(...rows);
}

function setState(ok, text) {
  const state = document.getElementById('api-state');
  state.textContent = text;
  state.className = 'state ' + (ok ? 'ok' : 'bad');
}

async function load() {
  const error = document.getElementById('error');
  try {
    const res = await fetch('/api/properties', { headers: { Accept: 'application/json' } });
    document.getElementById('api-version').textContent = res.headers.get('X-App-Version') || '?';
    document.getElementById('api-region').textContent = res.headers.get('X-App-Region') || '?';
    if (!res.ok) throw new Error('API answered ' + res.status);
    const body = await res.json();
    render(body.properties || []);
    setState(true, 'ok');
    error.hidden = true;
  } catch (e) {
    setState(false, 'error');
    error.textContent = String(e.message || e);
    error.hidden = false;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('refresh').addEventListener('click', load);
  load();
  setInterval(load, REFRESH_MS);
});
