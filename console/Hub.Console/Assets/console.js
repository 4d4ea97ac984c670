// The console's live parts, on pages that work without it: relative times kept current, the queue refreshed when
// the change feed (GET /api/console/v1/events, a long-poll that passes the Azure Functions proxy) says something
// moved, the case page told when someone else changed the case, the chat refreshed while open, quick replies
// that fill the reply box. No framework, no other host, no inline script (CSP script-src 'self').
(function () {
  'use strict';
  var announce = document.getElementById('announce');
  function say(text) { if (announce) { announce.textContent = ''; setTimeout(function () { announce.textContent = text; }, 50); } }

  // ---- "3 phút trước", "còn 5 phút" ----
  function span(ms) {
    var m = Math.floor(ms / 60000);
    if (m < 1) return null;
    if (m < 60) return m + ' phút';
    var h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (h < 24) return m % 60 === 0 ? h + ' giờ' : h + ' giờ ' + (m % 60) + ' phút';
    return h % 24 === 0 ? d + ' ngày' : d + ' ngày ' + (h % 24) + ' giờ';
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll('time[data-rel]').forEach(function (t) {
      var at = Date.parse(t.getAttribute('datetime'));
      if (isNaN(at)) return;
      var d = now - at, text;
      if (t.getAttribute('data-rel') === 'since') { text = span(Math.abs(d)) || 'dưới 1 phút'; }
      else { var s = span(Math.abs(d)); text = s === null ? 'vừa xong' : d < 0 ? 'còn ' + s : s + ' trước'; }
      if (t.textContent !== text) t.textContent = text;
    });
  }
  setInterval(tick, 20000);

  // ---- fetch a server-rendered fragment and put it in place, keeping the focus where it was ----
  function refresh(el, done) {
    var url = el.getAttribute('data-live');
    var state = el.querySelector('[data-state]');
    if (state) url += (url.indexOf('?') < 0 ? '?' : '&') + 'state=' + encodeURIComponent(state.getAttribute('data-state'));
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } }).then(function (r) {
      if (r.status === 204) return null;
      if (!r.ok) throw new Error(String(r.status));
      return r.text();
    }).then(function (html) {
      if (html === null || el.innerHTML === html) { if (done) done(false); return; }
      var focused = document.activeElement && el.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
      el.innerHTML = html;
      if (focused) { var again = el.querySelector('a[href="' + focused.replace(/"/g, '') + '"]'); if (again) again.focus(); }
      if (done) done(true);
    }).catch(function () { if (done) done(false); });
  }

  // ---- the change feed ----
  var cursor = document.body.getAttribute('data-events');
  var queue = document.getElementById('queue-body');
  var head = document.querySelector('.case-head[data-case]');
  function listen() {
    if (!cursor) return;
    fetch('/api/console/v1/events?after=' + encodeURIComponent(cursor), { credentials: 'same-origin' }).then(function (r) {
      if (r.status === 401 || r.status === 403) { cursor = null; say('Phiên đăng nhập đã hết. Vui lòng tải lại trang.'); return null; }
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (e) {
      if (!e) return;
      cursor = e.cursor;
      if (e.changed && e.changed.length > 0) {
        if (queue) {
          refresh(queue, function (changed) { if (changed) say('Hàng chờ vừa cập nhật: ' + e.changed.length + ' hồ sơ thay đổi.'); });
        }
        if (head) {
          var id = head.getAttribute('data-case'), seen = parseInt(head.getAttribute('data-version'), 10);
          e.changed.forEach(function (c) {
            if (c.id === id && c.version > seen) { var b = document.getElementById('case-changed'); if (b && b.hidden) { b.hidden = false; say(b.textContent); } }
          });
        }
      }
      setTimeout(listen, e.more ? 0 : 250);
    }).catch(function () { setTimeout(listen, 5000); });
  }
  if (cursor) listen();

  // ---- the chat while it is open ----
  var chat = document.getElementById('chat-lines');
  if (chat) {
    var list = chat.querySelector('.lines');
    if (list) list.scrollTop = list.scrollHeight;
    setInterval(function () {
      if (document.hidden) return;
      refresh(chat, function (changed) {
        if (!changed) return;
        var l = chat.querySelector('.lines');
        if (l) l.scrollTop = l.scrollHeight;
        var last = chat.querySelector('.lines li:last-child');
        if (last && last.classList.contains('from-child')) say('Tin nhắn mới của trẻ.');
      });
    }, 3000);
  }

  // ---- SMS replies on their way: their state follows the provider's receipts ----
  var sms = document.getElementById('sms-lines');
  if (sms) {
    setInterval(function () {
      if (document.hidden || !sms.querySelector('.sms-queued, .sms-sending, .sms-accepted, .sms-sent')) return;
      refresh(sms, function (changed) {
        if (!changed) return;
        var last = sms.querySelector('.lines li:last-child .delivery');
        if (last) say('Tin SMS: ' + last.textContent + '.');
      });
    }, 4000);
  }

  // ---- quick replies fill the box (without script they send at once) ----
  document.querySelectorAll('form.reply button[name="quick"]').forEach(function (b) {
    b.addEventListener('click', function (ev) {
      var box = document.getElementById('reply-text');
      if (!box) return;
      ev.preventDefault();
      box.value = b.textContent.trim();
      box.focus();
    });
  });
})();
