/* Live minutes: every case's text is saved as it is typed, and no control on the page loses it.
 *
 * - An autosave counts only when the server answers with its JSON ("saved"); a redirect (signed out),
 *   an HTML page or an error says so, and the text stays where it is.
 * - Each save carries the case's version: when someone else saved the case meanwhile (another tab,
 *   a colleague), the server refuses and sends their text, which is shown beside ours until we choose.
 * - Buttons that reload the page (add an action, move an earlier action on) save the typed text first.
 * - Leaving a case (focus moves out of it) or the page sends one final save: the audit trail keeps one entry
 *   per case per few minutes of typing, and the final save makes sure the typing's end is in it.
 */
(function () {
  'use strict';
  var status = document.getElementById('autosave-status');
  var DELAY_MS = 1500;

  function say(form, text) {
    if (status) { status.textContent = text; }
    var own = form && form.querySelector('.case-status');
    if (own) { own.textContent = text; }
  }

  function now() {
    return new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  }

  function looksSignedOut(response) {
    return response.redirected && /\/login(\?|$)/.test(response.url);
  }

  function showConflict(form, body) {
    form.setAttribute('data-conflict-version', body.version);
    var box = form.querySelector('.conflict');
    box.querySelector('.conflict-message').textContent = body.message;
    box.hidden = false;
    Object.keys(body.theirs).forEach(function (name) {
      var mine = form.querySelector('[name="' + name + '"]');
      var theirs = form.querySelector('[data-theirs="' + name + '"]');
      if (!mine || !theirs) { return; }
      if (body.theirs[name] !== mine.value) {
        theirs.textContent = 'Their text: ' + (body.theirs[name] || '(blank)');
        theirs.hidden = false;
      }
    });
  }

  function clearConflict(form) {
    form.removeAttribute('data-conflict-version');
    form.querySelector('.conflict').hidden = true;
    form.querySelectorAll('[data-theirs]').forEach(function (el) { el.hidden = true; el.textContent = ''; });
  }

  /* Save one case now (`final`: the typing on it has ended); resolves true only when the server said it was saved. */
  function save(form, final) {
    if (form._saving) { return form._saving.then(function () { return save(form, final); }); }
    if (form.hasAttribute('data-conflict-version')) {
      say(form, 'not saved: someone else changed this case (see below)');
      return Promise.resolve(false);
    }
    var data = new FormData(form);
    if (final) { data.append('final', '1'); }
    form.removeAttribute('data-dirty');
    say(form, 'saving...');
    form._saving = fetch(form.getAttribute('data-autosave'), {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: { 'X-CSRFToken': data.get('csrf_token'), 'Accept': 'application/json' }
    }).then(function (response) {
      var json = (response.headers.get('Content-Type') || '').indexOf('application/json') === 0;
      if (looksSignedOut(response)) { throw new Error('not saved — signed out: sign in again in another tab, then type on'); }
      if (!json) { throw new Error('not saved — the server did not confirm the save'); }
      return response.json().then(function (body) {
        if (body.signed_out) { throw new Error('not saved — signed out: sign in again in another tab, then type on'); }
        if (body.saved === true) {
          form.querySelector('[name="expected_version"]').value = body.version;
          if (final) { form.removeAttribute('data-unsettled'); } else { form.setAttribute('data-unsettled', '1'); }
          say(form, 'saved at ' + now());
          document.dispatchEvent(new CustomEvent('ilr:saved'));
          return true;
        }
        if (body.conflict) {
          showConflict(form, body);
          say(form, 'not saved — someone else changed this case');
          return false;
        }
        throw new Error('not saved: ' + (body.message || response.status));
      });
    }).catch(function (error) {
      form.setAttribute('data-dirty', '1');
      say(form, error instanceof TypeError ? 'not saved: no connection, will retry' : error.message);
      return false;
    }).then(function (saved) {
      form._saving = null;
      return saved;
    });
    return form._saving;
  }

  function saveAllDirty() {
    var forms = Array.prototype.slice.call(document.querySelectorAll('form[data-autosave][data-dirty], form[data-autosave][data-conflict-version]'));
    return Promise.all(forms.map(save)).then(function (results) { return results.every(Boolean); });
  }

  document.querySelectorAll('form[data-autosave]').forEach(function (form) {
    var timer = null;
    function changed() {
      form.setAttribute('data-dirty', '1');
      say(form, 'typing...');
      clearTimeout(timer);
      timer = setTimeout(function () { save(form); }, DELAY_MS);
    }
    form.addEventListener('input', changed);
    form.addEventListener('change', function (event) {  // the Discussed / Not reached choice
      if (event.target.type === 'radio') { changed(); }
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      clearTimeout(timer);
      save(form, true);
    });
    form.addEventListener('focusout', function (event) {  // leaving the case: its typing has ended
      if (form.contains(event.relatedTarget)) { return; }
      if (form.hasAttribute('data-dirty') || form.hasAttribute('data-unsettled')) {
        clearTimeout(timer);
        save(form, true);
      }
    });
    form.querySelector('.keep-mine').addEventListener('click', function () {
      form.querySelector('[name="expected_version"]').value = form.getAttribute('data-conflict-version');
      clearConflict(form);
      save(form);
    });
  });

  // A control that reloads the page saves what is typed first, and stays put when that fails.
  document.querySelectorAll('form[data-save-first]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      saveAllDirty().then(function (allSaved) {
        if (allSaved) { form.submit(); } else { say(null, 'not sent: the text typed above could not be saved first'); }
      });
    });
  });

  // The person list follows the agency chosen.
  document.querySelectorAll('select[data-people]').forEach(function (agency) {
    var people = document.getElementById(agency.getAttribute('data-people'));
    function narrow() {
      Array.prototype.forEach.call(people.options, function (option) {
        var theirs = option.getAttribute('data-organisation');
        option.hidden = option.disabled = Boolean(theirs) && theirs !== agency.value;
      });
      if (people.selectedOptions[0] && people.selectedOptions[0].disabled) { people.value = ''; }
    }
    agency.addEventListener('change', narrow);
    narrow();
  });

  // Leaving the page: send whatever is not yet saved, as the final save of each case typed in.
  window.addEventListener('pagehide', function () {
    document.querySelectorAll('form[data-autosave][data-dirty], form[data-autosave][data-unsettled]').forEach(function (form) {
      var data = new FormData(form);
      data.append('final', '1');
      navigator.sendBeacon(form.getAttribute('data-autosave'), data);
    });
  });
}());
