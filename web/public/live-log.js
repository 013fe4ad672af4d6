// The sync log's first page, live: every few seconds ask for entries newer than the top row (with
// the page's filters) and put them on top, newest first. Text is always set as text; only https
// links (Xero's deep links) are made. The page works without this too: reload it.
(function () {
  var main = document.querySelector('main');
  if (!main || !window.fetch || /[?&]before=/.test(location.search)) return;
  var base = location.pathname.replace(/\/+$/, '');
  if (!/\/sync-log$/.test(base)) return;
  var filters = new URLSearchParams(location.search);
  filters.delete('before');

  function newestId() {
    var link = document.querySelector('#sync-log tbody tr a[href]');
    var m = link && /\/sync-log\/(\d+)$/.exec(link.getAttribute('href'));
    return m ? m[1] : '0';
  }

  function table() {
    var t = document.getElementById('sync-log');
    if (t) return t.tBodies[0];
    var empty = document.getElementById('empty-log');
    if (!empty) return null;
    t = document.createElement('table');
    t.className = 'log';
    t.id = 'sync-log';
    var head = t.createTHead().insertRow();
    ['When', 'What', 'Document', 'Outcome', 'Message'].forEach(function (h) {
      var th = document.createElement('th');
      th.textContent = h;
      head.appendChild(th);
    });
    var body = t.createTBody();
    empty.replaceWith(t);
    return body;
  }

  function row(e) {
    var tr = document.createElement('tr');
    tr.className = e.outcome;
    tr.setAttribute('data-live', 'new');
    var when = tr.insertCell();
    var a = document.createElement('a');
    a.href = e.url;
    var time = document.createElement('time');
    time.setAttribute('datetime', e.iso);
    time.setAttribute('data-local', '');
    time.textContent = e.when;
    a.appendChild(time);
    when.appendChild(a);
    tr.insertCell().textContent = e.what;
    tr.insertCell().textContent = e.document;
    var badge = document.createElement('span');
    badge.className = 'outcome ' + e.outcome;
    badge.textContent = e.outcomeLabel;
    tr.insertCell().appendChild(badge);
    var msg = tr.insertCell();
    msg.textContent = e.message;
    if (e.xeroUrl && /^https:\/\//.test(e.xeroUrl)) {
      var x = document.createElement('a');
      x.href = e.xeroUrl;
      x.target = '_blank';
      x.rel = 'noopener noreferrer';
      x.className = 'xero-link';
      x.textContent = 'Open in Xero';
      msg.appendChild(document.createTextNode(' '));
      msg.appendChild(x);
    }
    return tr;
  }

  function poll() {
    if (document.hidden) return void setTimeout(poll, 3000);
    var q = new URLSearchParams(filters);
    q.set('after', newestId());
    fetch(base + '/head?' + q.toString(), { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 400 || r.status === 401 || r.status === 403 || r.status === 404) return null;
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (p) {
        if (!p) return;
        if (p.entries.length > 0) {
          var body = table();
          if (body) {
            // Oldest of the new first, each put on top: newest ends up first.
            for (var i = p.entries.length - 1; i >= 0; i--) {
              var tr = row(p.entries[i]);
              body.insertBefore(tr, body.firstChild);
              if (window.xeroSyncLocalTime) window.xeroSyncLocalTime(tr);
            }
          }
        }
        setTimeout(poll, 3000);
      })
      .catch(function () {
        setTimeout(poll, 10000);
      });
  }
  setTimeout(poll, 3000);
})();
