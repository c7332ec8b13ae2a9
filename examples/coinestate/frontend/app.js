// CoinEstate frontend: lists properties from the API on the same origin and shows which API
// version and region answered (X-App-Version / X-App-Region). Polls every 5 s so a blue-green
// switch is visible without reloading. "Connect wallet" asks the browser's wallet (EIP-1193
// window.ethereum) for an account and reports how long that took to shipgate's real-user
// monitoring (rum.js, served by the gateway): wallet_connection_time.
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

// Connects the injected wallet; the time from the click to the wallet's answer is reported as
// wallet_connection_time when an account came back.
async function connectWallet() {
  const status = document.getElementById('wallet');
  const wallet = window.ethereum;
  if (!wallet || typeof wallet.request !== 'function') {
    status.textContent = 'no wallet found';
    return;
  }
  status.textContent = 'connecting…';
  const started = performance.now();
  try {
    const accounts = await wallet.request({ method: 'eth_requestAccounts' });
    const elapsed = performance.now() - started;
    if (!Array.isArray(accounts) || accounts.length === 0) {
      status.textContent = 'no account';
      return;
    }
    status.textContent = 'connected ' + String(accounts[0]).slice(0, 10) + '…';
    if (window.shipgateRum) window.shipgateRum.report('wallet_connection_time', elapsed);
  } catch (e) {
    status.textContent = 'wallet: ' + String(e.message || e);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('refresh').addEventListener('click', load);
  document.getElementById('connect-wallet').addEventListener('click', connectWallet);
  load();
  setInterval(load, REFRESH_MS);
});
