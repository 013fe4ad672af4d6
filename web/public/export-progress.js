// An export's page: while the export runs, poll its progress and update the bar, the counts, the
// sentence and each document's row in place (the page works without this too: reload it).
(function () {
  var root = document.getElementById('export');
  if (!root || root.getAttribute('data-status') !== 'running') return;
  var url = root.getAttribute('data-url');

  function byId(id) {
    return document.getElementById(id);
  }
  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }
  function setHidden(el, hidden) {
    if (el) el.hidden = hidden;
  }

  function updateRow(tbody, i, item) {
    var row = tbody.querySelector('tr[data-i="' + i + '"]');
    if (!row) {
      row = document.createElement('tr');
      row.className = 'item';
      row.setAttribute('data-i', String(i));
      ['kind', 'doc-id', 'outcome-cell', 'reason', 'xero'].forEach(function (c) {
        var td = document.createElement('td');
        td.className = c;
        row.appendChild(td);
      });
      row.cells[2].appendChild(document.createElement('span'));
      tbody.appendChild(row);
    }
    setText(row.cells[0], item.kindLabel);
    setText(row.cells[1], item.id);
    var badge = row.cells[2].firstElementChild;
    var cls = 'outcome ' + item.outcome;
    if (badge.className !== cls) badge.className = cls;
    setText(badge, item.outcomeLabel);
    setText(row.cells[3], item.reason);
    var cell = row.cells[4];
    var link = cell.querySelector('a');
    // Only https links (Xero's deep links) are made; the text is always set as text.
    if (item.xeroUrl && /^https:\/\//.test(item.xeroUrl)) {
      if (!link) {
        link = document.createElement('a');
        link.className = 'xero-link';
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        link.textContent = 'Open in Xero';
        cell.appendChild(link);
      }
      if (link.getAttribute('href') !== item.xeroUrl) link.setAttribute('href', item.xeroUrl);
    } else if (link) {
      link.remove();
    }
  }

  function render(p) {
    var bar = byId('export-bar');
    if (bar) {
      bar.max = p.total || 1;
      bar.value = p.done;
      setText(bar, p.progressText);
    }
    setText(byId('export-progress-text'), p.progressText);
    setText(byId('export-eta-text'), p.etaText);
    setHidden(byId('export-eta'), !p.etaText);
    setHidden(byId('export-next-day'), !p.continuesNextDay);
    setText(byId('export-next-day'), p.nextDayText);
    setText(byId('export-sentence'), p.sentence);
    var status = byId('export-status');
    if (status) {
      setText(status, p.statusLabel);
      status.className = 'outcome export-' + p.status;
    }
    root.setAttribute('data-status', p.status);
    setText(byId('export-finished-at'), p.completedAt);
    setHidden(byId('export-finished'), !p.completedAt);
    var counts = document.querySelectorAll('#export-counts [data-count]');
    for (var c = 0; c < counts.length; c++) {
      var key = counts[c].getAttribute('data-count');
      setText(counts[c], String(key === 'total' ? p.total : p.counts[key]));
    }
    setHidden(byId('retry-form'), !p.canRetry);
    setHidden(byId('cancel-form'), !p.canCancel);
    var tbody = document.querySelector('#export-items tbody');
    if (tbody) for (var i = 0; i < p.items.length; i++) updateRow(tbody, i, p.items[i]);
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) {
        // Signed out, or the export is gone: stop, the page still shows what it last knew.
        if (r.status === 401 || r.status === 403 || r.status === 404) return null;
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (p) {
        if (!p) return;
        render(p);
        if (p.status === 'running') setTimeout(poll, 1500);
      })
      .catch(function () {
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 1000);
})();
