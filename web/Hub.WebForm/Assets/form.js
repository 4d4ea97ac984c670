// Optional improvements only: the form works the same without this file (JavaScript off, or it failed to load).
// - the error summary takes the focus, so a screen reader reads what to fix;
// - chosen screenshots are checked against the limits before sending, and the result is announced;
// - a second tap on "Gửi" while the first is on its way does nothing (the server collapses duplicates anyway).
(function () {
  'use strict';
  var errors = document.getElementById('errors') || document.getElementById('notice');
  if (errors) { errors.focus(); }
  var form = document.getElementById('report');
  if (!form) { return; }
  var files = document.getElementById('f-screenshots');
  var status = document.createElement('p');
  status.className = 'hint';
  status.id = 'f-screenshots-status';
  status.setAttribute('aria-live', 'polite');
  if (files) {
    files.insertAdjacentElement('afterend', status);
    files.addEventListener('change', function () {
      var n = files.files.length, total = 0, bad = 0;
      for (var i = 0; i < n; i++) {
        total += files.files[i].size;
        if (!/^image\/(jpeg|png|webp)$/.test(files.files[i].type)) { bad++; }
      }
      var mb = (total / 1048576).toFixed(1).replace('.', ',');
      var text = n === 0 ? '' : 'Đã chọn ' + n + ' ảnh (' + mb + ' MB).';
      if (n > 5) { text += ' Chỉ được gửi tối đa 5 ảnh.'; }
      if (total > 10485760) { text += ' Tổng dung lượng quá 10 MB.'; }
      if (bad > 0) { text += ' Có tệp không phải ảnh JPEG, PNG hoặc WebP.'; }
      status.textContent = text;
    });
  }
  var sending = false;
  form.addEventListener('submit', function (e) {
    if (sending) { e.preventDefault(); return; }
    sending = true;
    var button = document.getElementById('send');
    if (button) {
      button.setAttribute('aria-disabled', 'true');
      button.textContent = 'Đang gửi…';
    }
  });
  // Back to this page from the receipt (the browser's cache): allow sending again.
  window.addEventListener('pageshow', function () { sending = false; });
})();
