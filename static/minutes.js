/* Live minutes: save each case's text as it is typed, so nothing is lost to a timeout or a closed tab. */
(function () {
  'use strict';
  var status = document.getElementById('autosave-status');
  var DELAY_MS = 1500;

  function say(text) { if (status) { status.textContent = text; } }

  function save(form) {
    var data = new FormData(form);
    data.delete('discussed');
    return fetch(form.getAttribute('data-autosave'), {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: { 'X-CSRFToken': data.get('csrf_token') }
    }).then(function (response) {
      if (response.ok) {
        form.removeAttribute('data-dirty');
        say('saved at ' + new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' }));
      } else {
        return response.json().then(function (body) { say('not saved: ' + (body.message || response.status)); });
      }
    }).catch(function () { say('not saved: no connection, will retry'); });
  }

  document.querySelectorAll('form[data-autosave]').forEach(function (form) {
    var timer = null;
    form.addEventListener('input', function () {
      form.setAttribute('data-dirty', '1');
      say('typing...');
      clearTimeout(timer);
      timer = setTimeout(function () { save(form); }, DELAY_MS);
    });
  });
  // Leaving the page: send whatever is not yet saved.
  window.addEventListener('pagehide', function () {
    document.querySelectorAll('form[data-autosave][data-dirty]').forEach(function (form) {
      var data = new FormData(form);
      data.delete('discussed');
      navigator.sendBeacon(form.getAttribute('data-autosave'), data);
    });
  });
}());
