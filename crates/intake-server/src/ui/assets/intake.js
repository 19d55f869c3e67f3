// intake web UI: the one script, and the pages work without it. It keeps a running
// import's progress fresh: every second it fetches the progress block again and swaps it in;
// when the run is over (the answer says X-Intake-Done) it loads the page again to show the outcome.
(function () {
  'use strict';
  var box = document.querySelector('[data-poll]');
  if (!box || !window.fetch) return;
  var url = box.getAttribute('data-poll');
  function tick() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) {
        if (r.headers.get('x-intake-done') === '1') {
          window.location.replace(window.location.pathname);
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          box.innerHTML = html;
          window.setTimeout(tick, 1000);
        }
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 1000);
})();
