/* Live minutes: every case's text is saved as it is typed, and no control on the page loses it.
 *
 * - An autosave counts only when the server answers with its JSON ("saved"); a redirect (signed out),
 *   an HTML page or an error says so, and the text stays where it is.
 * - Each save carries the case's version: when someone else saved the case meanwhile (another tab,
 *   a colleague), the server refuses and sends their text, which is shown beside ours until we choose.
 * - Buttons that reload the page (add an action, move an earlier action on) save the typed text first.
 * - Text not yet accepted is kept in this tab (window.ilrForms, static/forms.js) per person, case and field,
 *   marked as not saved, until a save takes it: a reload, or signing in again after a time-out, brings it back.
 * - Leaving a case (focus moves out of it) or the page sends one final save: the audit trail keeps one entry
 *   per case per few minutes of typing, and the final save makes sure the typing's end is in it.
 */
(function () {
  'use strict';
  var status = document.getElementById('autosave-status');
  var DELAY_MS = 1500;
  var SIGNED_OUT = 'not saved — signed out. What you typed is kept in this tab: reload the page, sign in again, ' +
    'and it will be saved';
  var UNCONFIRMED = 'not saved — the server did not confirm the save; what you typed is kept in this tab';
  var kept = window.ilrForms || {
    keep: function () {}, saved: function () {}, kept: function () { return null; }, markUnsaved: function () {}
  };

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

  function record(form) { return form.getAttribute('data-autosave'); }

  function version(form) { return form.querySelector('[name="expected_version"]').value; }

  function texts(form) {
    var found = {};
    form.querySelectorAll('textarea[name]').forEach(function (box) { found[box.name] = box.value; });
    return found;
  }

  /* The server took `sent` as `newVersion`: what it holds is no longer kept, and no longer marked unsaved. */
  function accepted(form, sent, newVersion) {
    form.querySelector('[name="expected_version"]').value = newVersion;
    kept.saved(record(form), sent, String(newVersion));
    form.querySelectorAll('textarea[name]').forEach(function (box) {
      if (box.value === sent[box.name]) { kept.markUnsaved(box, false); }
    });
  }

  /* Someone's newer save holds exactly our text (our own save as the page was left, say): nothing to choose. */
  function sameAsOurs(form, body) {
    return Object.keys(body.theirs).every(function (name) {
      var mine = form.querySelector('textarea[name="' + name + '"]');
      return !mine || mine.value.trim() === (body.theirs[name] || '').trim();
    });
  }

  function clearConflict(form) {
    form.removeAttribute('data-conflict-version');
    form.querySelector('.conflict').hidden = true;
    form.querySelectorAll('[data-theirs]').forEach(function (el) { el.hidden = true; el.textContent = ''; });
  }

  /* Save one case now (`final`: the typing on it has ended); resolves true only when the server said it was saved.
   * `retried`: sent again after a conflict that held our own text. */
  function save(form, final, retried) {
    if (form._saving) { return form._saving.then(function () { return save(form, final); }); }
    if (form.hasAttribute('data-conflict-version')) {
      say(form, 'not saved: someone else changed this case (see below)');
      return Promise.resolve(false);
    }
    var data = new FormData(form);
    if (final) { data.append('final', '1'); }
    var sent = texts(form);
    form.removeAttribute('data-dirty');
    say(form, 'saving...');
    form._saving = fetch(form.getAttribute('data-autosave'), {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: { 'X-CSRFToken': data.get('csrf_token'), 'Accept': 'application/json' }
    }).then(function (response) {
      var json = (response.headers.get('Content-Type') || '').indexOf('application/json') === 0;
      if (looksSignedOut(response)) { throw new Error(SIGNED_OUT); }
      if (!json) { throw new Error(UNCONFIRMED); }
      return response.json().then(function (body) {
        if (body.signed_out) { throw new Error(SIGNED_OUT); }
        if (body.conflict && !retried && sameAsOurs(form, body)) {
          form.querySelector('[name="expected_version"]').value = body.version;  // nothing to choose: send again
          return 'again';
        }
        if (body.saved === true) {
          accepted(form, sent, body.version);
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
      say(form, error instanceof TypeError ? 'not saved: no connection (kept in this tab), will retry' : error.message);
      return false;
    }).then(function (saved) {
      form._saving = null;
      return saved === 'again' ? save(form, final, true) : saved;
    });
    return form._saving;
  }

  /* Text kept in this tab from before (a reload, a time-out) goes back in its box, marked, and is saved again:
   * against the version it was typed on, so a save someone made since is shown beside it, not overwritten. */
  function restore(form) {
    var entry = kept.kept(record(form));
    if (!entry) { return; }
    var back = Object.keys(entry.fields).filter(function (name) {
      var box = form.querySelector('textarea[name="' + name + '"]');
      return box && box.value !== entry.fields[name];
    });
    if (!back.length) {
      kept.saved(record(form), entry.fields, version(form));  // already saved: nothing left to keep
      return;
    }
    form.querySelector('[name="expected_version"]').value = entry.version;
    back.forEach(function (name) {
      var box = form.querySelector('textarea[name="' + name + '"]');
      box.value = entry.fields[name];
      box.dispatchEvent(new Event('input', { bubbles: true }));  // counted, kept, marked, saved as if typed
    });
    say(form, 'not saved yet: brought back from this tab');
  }

  function saveAllDirty() {
    var forms = Array.prototype.slice.call(document.querySelectorAll('form[data-autosave][data-dirty], form[data-autosave][data-conflict-version]'));
    return Promise.all(forms.map(function (form) { return save(form); })).then(function (results) { return results.every(Boolean); });
  }

  document.querySelectorAll('form[data-autosave]').forEach(function (form) {
    var timer = null;
    function changed() {
      form.setAttribute('data-dirty', '1');
      say(form, 'typing...');
      clearTimeout(timer);
      timer = setTimeout(function () { save(form); }, DELAY_MS);
    }
    form.addEventListener('input', function (event) {
      if (event.target.tagName === 'TEXTAREA') {
        kept.keep(record(form), event.target.name, event.target.value, version(form));
        kept.markUnsaved(event.target, true);
      }
      changed();
    });
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
      if (event.relatedTarget && event.relatedTarget.closest('form[data-sign-out]')) { return; }  // see signingOut
      if (form.hasAttribute('data-dirty') || form.hasAttribute('data-unsettled')) {
        clearTimeout(timer);
        save(form, true);
      }
    });
    restore(form);
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

  // Signing out ends the session the saves would need (its CSRF token with it): no final save is sent then; the
  // text is saved already or kept in this tab, and the trail catches up at the case's next save or the held meeting.
  var signingOut = false;
  document.querySelectorAll('form[data-sign-out]').forEach(function (form) {
    form.addEventListener('submit', function () { signingOut = true; });
  });

  // Leaving the page: send whatever is not yet saved, as the final save of each case typed in.
  window.addEventListener('pagehide', function () {
    if (signingOut) { return; }
    document.querySelectorAll('form[data-autosave][data-dirty], form[data-autosave][data-unsettled]').forEach(function (form) {
      var data = new FormData(form);
      data.append('final', '1');
      navigator.sendBeacon(form.getAttribute('data-autosave'), data);
    });
  });
}());
