// "Import Xero customers": while an import runs, show "N of M" as it moves (the page works without this too).
(function () {
  var el = document.getElementById('import-progress');
  if (!el || el.getAttribute('data-status') !== 'running') return;
  var bar = document.getElementById('import-bar');
  function poll() {
    fetch(el.getAttribute('data-url'), { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) {
        return r.json();
      })
      .then(function (p) {
        el.textContent = p.label;
        if (bar && p.total) {
          bar.max = p.total;
          bar.value = p.done;
        }
        if (p.status === 'running') setTimeout(poll, 1500);
        else {
          var button = document.getElementById('import-contacts');
          if (button) {
            button.disabled = false;
            button.textContent = 'Import Xero customers again';
          }
          if (bar) bar.remove();
        }
      })
      .catch(function () {
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 1000);
})();
