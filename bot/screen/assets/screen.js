// pollbot live screen: keeps the page's live part up to date from the
// server's event stream, and counts down to the poll's deadline. No
// inline script, no other origin: the page's Content-Security-Policy
// allows this file and the stream only. Every word it shows comes from the
// page's JSON block #words, rendered by the server from the message
// catalog in the page's language: templates whose {left}, {d}, {h}, {m},
// {s} and {time} this script fills.
(function () {
  'use strict';
  var body = document.body;
  var live = document.getElementById('live');
  var conn = document.getElementById('conn');
  var lang = document.documentElement.lang || undefined;
  var words = {};
  try { words = JSON.parse(document.getElementById('words').textContent); } catch (e) { words = {}; }
  function word(name, fill) {
    var s = String(words[name] || '');
    for (var k in fill) { s = s.split('{' + k + '}').join(String(fill[k])); }
    return s;
  }
  // The server's clock, as the page was served, corrects the viewer's.
  var skew = Number(body.getAttribute('data-server-now')) - Date.now();
  if (!isFinite(skew)) { skew = 0; }

  function two(n) { return (n < 10 ? '0' : '') + n; }
  function left(ms) {
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    s = s % 60;
    if (d > 0) { return word('leftDays', { d: d, h: h, m: two(m) }); }
    if (h > 0) { return word('leftHours', { h: h, m: two(m), s: two(s) }); }
    return word('leftMinutes', { m: m, s: two(s) });
  }
  function tick() {
    var els = live.querySelectorAll('[data-deadline]');
    for (var i = 0; i < els.length; i++) {
      var due = Number(els[i].getAttribute('data-deadline'));
      var ms = due - (Date.now() + skew);
      els[i].textContent = ms > 0 ? word('closesIn', { left: left(ms) }) : word('deadlineReached');
    }
  }
  tick();
  setInterval(tick, 1000);

  function say(text, offline) {
    conn.textContent = text;
    body.classList.toggle('offline', offline);
  }
  if (!window.EventSource || !window.DOMParser) {
    say(word('cannotUpdate'), true);
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
    var now;
    try { now = new Date().toLocaleTimeString(lang); } catch (e) { now = new Date().toLocaleTimeString(); }
    say(word('updated', { time: now }), false);
  });
  stream.addEventListener('open', function () {
    say(word('live'), false);
  });
  stream.addEventListener('error', function () {
    if (stream.readyState === EventSource.CLOSED) {
      say(word('disconnected'), true);
    } else {
      say(word('reconnecting'), true);
    }
  });
})();
