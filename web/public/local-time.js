// Every <time datetime="…" data-local> on admin pages: the server writes the time in UTC; here it
// becomes relative ("3 minutes ago"), with the full time in the viewer's own time zone as its
// tooltip (or, for data-style="date" and anything older than a week, as its text). Re-run by
// live-account.js on what it replaces; the relative words are refreshed every 20 seconds.
(function () {
  if (typeof Intl === 'undefined' || !Intl.RelativeTimeFormat) return;
  var rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  var full = new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  var UNITS = [
    ['year', 365 * 24 * 3600],
    ['month', 30 * 24 * 3600],
    ['week', 7 * 24 * 3600],
    ['day', 24 * 3600],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];

  function relative(ms) {
    var s = Math.round((ms - Date.now()) / 1000);
    if (Math.abs(s) < 10) return rtf.format(0, 'second');
    for (var i = 0; i < UNITS.length; i++) {
      var size = UNITS[i][1];
      if (Math.abs(s) >= size || UNITS[i][0] === 'second') return rtf.format(Math.round(s / size), UNITS[i][0]);
    }
    return '';
  }

  function format(root) {
    var els = (root || document).querySelectorAll('time[datetime][data-local]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var ms = Date.parse(el.getAttribute('datetime'));
      if (isNaN(ms)) continue;
      var local = full.format(new Date(ms));
      var rel = relative(ms);
      var old = Math.abs(Date.now() - ms) > 7 * 24 * 3600 * 1000;
      var text = el.getAttribute('data-style') === 'date' || old ? local + ' (' + rel + ')' : rel;
      if (el.textContent !== text) el.textContent = text;
      if (el.title !== local) el.title = local;
      el.setAttribute('data-formatted', 'relative');
    }
  }

  window.xeroSyncLocalTime = format;
  function start() {
    format(document);
    setInterval(function () {
      format(document);
    }, 20000);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
