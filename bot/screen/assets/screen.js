// pollbot live screen: keeps the page's live part up to date from the
// server's event stream, and counts down to the poll's deadline. No
// inline script, no other origin: the page's Content-Security-Policy
// allows this file and the stream only.
(function () {
  'use strict';
  var body = document.body;
  var live = document.getElementById('live');
  var conn = document.getElementById('conn');
  // The server's clock, as the page was served, corrects the viewer's.
  var skew = Number(body.getAttribute('data-server-now')) - Date.now();
  if (!isFinite(skew)) { skew = 0; }

  function two(n) { return (n < 10 ? '0' : '') + n; }
  function left(ms) {
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    s = s % 60;
    if (d > 0) { return d + 'd ' + h + 'h ' + two(m) + 'm'; }
    if (h > 0) { return h + ':' + two(m) + ':' + two(s); }
    return m + ':' + two(s);
  }
  function tick() {
    var els = live.querySelectorAll('[data-deadline]');
    for (var i = 0; i < els.length; i++) {
      var due = Number(els[i].getAttribute('data-deadline'));
      var ms = due - (Date.now() + skew);
      els[i].textContent = ms > 0 ? 'closes in ' + left(ms) : 'deadline reached: closing';
    }
  }
  tick();
  setInterval(tick, 1000);

  function say(text, offline) {
    conn.textContent = text;
    body.classList.toggle('offline', offline);
  }
  if (!window.EventSource || !window.DOMParser) {
    say('This browser cannot update the page: reload it to see new votes.', true);
    return;
  }
  var parser = new DOMParser();
  var stream = new EventSource(body.getAttribute('data-events'));
  stream.addEventListener('frame', function (ev) {
    var doc = parser.parseFromString('<!doctype html><body>' + ev.data, 'text/html');
    var nodes = [];
    for (var n = doc.body.firstChild; n; n = n.nextSibling) { nodes.push(n); }
    live.replaceChildren.apply(live, nodes.map(function (n) { return document.adoptNode(n); }));
    tick();
    say('Live: updated ' + new Date().toLocaleTimeString() + '.', false);
  });
  stream.addEventListener('open', function () {
    say('Live: this page updates itself as votes arrive.', false);
  });
  stream.addEventListener('error', function () {
    if (stream.readyState === EventSource.CLOSED) {
      say('Disconnected: the link may have expired. Reload to try again.', true);
    } else {
      say('Reconnecting…', true);
    }
  });
})();
