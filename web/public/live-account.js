// The account home, live: every few seconds ask the server for the failures section, the health
// line, the Xero budget, the latest syncs and the contacts import's progress, and replace what
// changed in place (each part comes rendered by the same partial as the page). The page works
// without this too.
(function () {
  var root = document.getElementById('account-home');
  if (!root || !window.fetch) return;
  var url = root.getAttribute('data-live-url');

  function byId(id) {
    return document.getElementById(id);
  }
  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }
  function fromHtml(html) {
    var t = document.createElement('template');
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }
  function swap(el, html) {
    var next = fromHtml(html);
    if (!el || !next) return;
    el.replaceWith(next);
    if (window.xeroSyncLocalTime) window.xeroSyncLocalTime(next);
  }

  function renderFailures(f) {
    var section = byId('failures');
    if (section && section.getAttribute('data-key') !== f.key) swap(section, f.html);
    var tab = byId('tab-failures-count');
    if (tab) {
      setText(tab, String(f.count));
      tab.hidden = f.count === 0;
    }
    var pill = byId('connection-pill');
    if (pill && /\b(active|attention)\b/.test(pill.className)) {
      pill.className = 'status ' + (f.count > 0 ? 'attention' : 'active');
      setText(pill, f.count > 0 ? 'Connected · failures open' : 'Connected');
    }
  }

  function renderImport(p) {
    var el = byId('import-progress');
    if (!el || !p) return;
    setText(el, p.label);
    el.setAttribute('data-status', p.status || '');
    var bar = byId('import-bar');
    var button = byId('import-contacts');
    if (p.status === 'running') {
      if (!bar) {
        bar = document.createElement('progress');
        bar.id = 'import-bar';
        el.insertAdjacentElement('afterend', bar);
      }
      if (p.total) {
        bar.max = p.total;
        bar.value = p.done;
      } else bar.removeAttribute('value');
      if (button) button.disabled = true;
    } else {
      if (bar) bar.remove();
      if (button && p.status) {
        button.disabled = false;
        setText(button, 'Import Xero customers again');
      }
    }
  }

  function render(live) {
    renderFailures(live.failures);
    var health = byId('health');
    if (health && health.getAttribute('data-key') !== live.health.key) swap(health, live.health.html);
    var budget = byId('xero-budget');
    if (budget && live.budget && budget.getAttribute('data-key') !== live.budget.key) swap(budget, live.budget.html);
    var recent = byId('recent');
    if (recent && recent.getAttribute('data-key') !== live.recent.key) swap(recent, live.recent.html);
    renderImport(live.import);
  }

  function poll() {
    if (document.hidden) return void setTimeout(poll, 3000);
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) {
        // Signed out or the account is gone: stop; the page still shows what it last knew.
        if (r.status === 401 || r.status === 403 || r.status === 404) return null;
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (live) {
        if (!live) return;
        render(live);
        setTimeout(poll, 3000);
      })
      .catch(function () {
        setTimeout(poll, 10000);
      });
  }
  setTimeout(poll, 1500);
})();
