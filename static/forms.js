/* Forms that forgive: nothing typed is lost.
 *
 * - Leaving a page with changes not yet saved asks first: a link in the app (in words), or the browser's own
 *   question when the tab is closed, reloaded or sent elsewhere. Not after a save: a form being sent, and an
 *   autosaving form whose text the server has accepted, have nothing to lose.
 * - A long text box shows how much room is left before its limit, and goes on past it (saying by how much)
 *   rather than letting the browser cut a paste short: the server says the same and keeps the text.
 * - Text the server has not accepted stays in this tab's session storage, filed per person, record and field:
 *   a form sent and not saved (a time-out, a refusal that reloads the page), and the autosaving pages' text
 *   (static/minutes.js) until it is saved. It comes back, marked as not saved, only for the same person; it is
 *   cleared when they save, when they press Sign out, and when someone else signs in on this tab. It lasts no
 *   longer than the tab.
 *
 * The page says who is signed in as `data-person` on <body> (not their id: see services/forms.py), and whether
 * it is a form sent back to be corrected (`data-form-returned`). `window.ilrForms` is the store, for minutes.js.
 */
(function () {
  'use strict';
  var body = document.body;
  var person = body.getAttribute('data-person');
  var PREFIX = 'ilr-kept:';
  var LEAVE = 'What you typed on this page is not saved yet. Leave the page anyway?';
  var TEXT_TYPES = ['text', 'email', 'tel', 'url', 'search', 'number', 'date', 'datetime-local', 'time', 'month'];
  // Hidden fields that make a form sent again safe: the version it was typed against, its one-time token.
  var SAFE_HIDDEN = ['expected_version', 'form_token'];
  var store = (function () {
    try { return window.sessionStorage; } catch (e) { return null; }
  }());

  // --- the store: this tab's kept text, per person, record and field ------------------------------------

  function storedKeys() {
    var found = [];
    for (var i = 0; store && i < store.length; i += 1) {
      if (store.key(i).indexOf(PREFIX) === 0) { found.push(store.key(i)); }
    }
    return found;
  }

  function keyOf(record) { return PREFIX + person + ':' + record; }

  function read(record) {
    if (!store || !person) { return null; }
    try { return JSON.parse(store.getItem(keyOf(record))); } catch (e) { return null; }
  }

  function write(record, entry) {
    if (!store || !person) { return; }
    try {
      store.setItem(keyOf(record), JSON.stringify(entry));
    } catch (e) { /* storage full or refused: the text is still in its box */ }
  }

  function forget(record) { if (store && person) { store.removeItem(keyOf(record)); } }

  function forgetAll() { storedKeys().forEach(function (key) { store.removeItem(key); }); }

  // Someone else signed in on this tab: nothing of the last person's stays.
  if (person) {
    storedKeys().forEach(function (key) {
      if (key.indexOf(PREFIX + person + ':') !== 0) { store.removeItem(key); }
    });
  }

  /* Keep a field's text (typed against `version`) until the server accepts it. */
  function keep(record, name, text, version) {
    var entry = read(record) || { fields: {} };
    entry.fields[name] = text;
    entry.version = version;
    entry.at = Date.now();
    write(record, entry);
  }

  /* The server accepted `sent` (field -> text) as `version`: forget what it holds; keep what was typed since. */
  function saved(record, sent, version) {
    var entry = read(record);
    if (!entry) { return; }
    Object.keys(sent).forEach(function (name) {
      if (entry.fields[name] === sent[name]) { delete entry.fields[name]; }
    });
    entry.version = version;
    if (Object.keys(entry.fields).length) { write(record, entry); } else { forget(record); }
  }

  /* Say beside a box that its text is not saved yet (or take the note away). */
  function markUnsaved(box, unsaved) {
    var note = box.ilrUnsavedNote;
    if (!unsaved) {
      if (note) { note.hidden = true; }
      return;
    }
    if (!note) {
      note = document.createElement('p');
      note.className = 'ilr-unsaved alert alert-warning small py-1 px-2 mt-1 mb-1';
      note.textContent = 'Not saved yet: kept in this tab until it is.';
      box.insertAdjacentElement('afterend', note);
      box.ilrUnsavedNote = note;
    }
    note.hidden = false;
  }

  window.ilrForms = { keep: keep, saved: saved, kept: read, forget: forget, markUnsaved: markUnsaved };

  // --- room left in long text ---------------------------------------------------------------------------

  function formatted(n) { return n.toLocaleString('en-GB'); }

  function characters(n) { return formatted(n) + (n === 1 ? ' character' : ' characters'); }

  function showRoom(box) {
    var limit = Number(box.getAttribute('data-maxlength'));
    var used = box.value.replace(/\r\n/g, '\n').length;
    var left = limit - used;
    box.ilrRoom.textContent = !used ? 'Up to ' + characters(limit)
      : left >= 0 ? formatted(left) + ' of ' + formatted(limit) + ' characters left'
      : characters(-left) + ' over the limit of ' + formatted(limit) + ': shorten it before it can be saved';
    box.ilrRoom.classList.toggle('text-danger', left < 0);
    box.ilrRoom.classList.toggle('text-muted', left >= 0);
    var band = left < 0 ? 'over' : (left < limit / 10 ? 'near' : 'room');
    if (band !== box.ilrBand) {  // told to a screen reader only when it matters, not at every key
      if (box.ilrBand && band !== 'room') { say(box.ilrRoom.textContent); }
      box.ilrBand = band;
    }
  }

  /* One polite announcement for the whole page, made only when first needed. */
  function say(text) {
    var spoken = document.getElementById('ilr-spoken');
    if (!spoken) {
      spoken = document.createElement('span');
      spoken.id = 'ilr-spoken';
      spoken.className = 'sr-only';
      spoken.setAttribute('aria-live', 'polite');
      body.appendChild(spoken);
    }
    spoken.textContent = text;
  }

  document.querySelectorAll('textarea[maxlength]').forEach(function (box, index) {
    // The browser would cut a paste short at maxlength, silently: the counter says it instead.
    box.setAttribute('data-maxlength', box.getAttribute('maxlength'));
    box.removeAttribute('maxlength');
    var room = document.createElement('small');
    room.id = (box.id || 'ilr-box-' + index) + '-room';
    room.className = 'form-text ilr-room';
    box.insertAdjacentElement('afterend', room);
    box.setAttribute('aria-describedby', ((box.getAttribute('aria-describedby') || '') + ' ' + room.id).trim());
    box.ilrRoom = room;
    showRoom(box);
  });
  document.addEventListener('input', function (event) {
    if (event.target.ilrRoom) { showRoom(event.target); }
  });

  // --- which forms hold changes not saved -----------------------------------------------------------------

  function isSignOut(form) { return form.hasAttribute('data-sign-out'); }

  /* A form that saves something a person typed (not the sign-out, not a search or a list filter). */
  function guarded(form) {
    return Boolean(form) && (form.getAttribute('method') || '').toLowerCase() === 'post' && !isSignOut(form) &&
      !form.hasAttribute('data-no-guard');
  }

  function typedFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === 'password' || el.name === 'csrf_token') { return false; }
      if (el.type === 'hidden') { return SAFE_HIDDEN.indexOf(el.name) !== -1; }
      return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || TEXT_TYPES.indexOf(el.type) !== -1 ||
        el.type === 'checkbox' || el.type === 'radio';
    });
  }

  function holdsText(form) {
    return typedFields(form).some(function (el) {
      var typed = el.tagName === 'TEXTAREA' || TEXT_TYPES.indexOf(el.type) !== -1;
      return typed && el.value.trim() !== '';
    });
  }

  var leaving = false;
  var sending = null;

  function unsavedForms() {
    return Array.prototype.filter.call(document.forms, function (form) {
      if (!guarded(form) || form === sending) { return false; }
      if (form.hasAttribute('data-autosave')) {
        return form.hasAttribute('data-dirty') || form.hasAttribute('data-conflict-version');
      }
      return form.ilrChanged === true;
    });
  }

  function noteChange(event) {
    var form = event.target.form;
    if (guarded(form) && !form.hasAttribute('data-autosave')) {
      form.ilrChanged = true;
      if (form === sending) { sending = null; }
    }
  }
  document.addEventListener('input', noteChange);
  document.addEventListener('change', noteChange);

  // A form sent back to be corrected holds what was typed, not yet saved: the one that was sent (the page is at the
  // address it was posted to), not the page's other forms, which hold only what is saved.
  if (body.hasAttribute('data-form-returned')) {
    Array.prototype.forEach.call(document.forms, function (form) {
      var sentTo = new URL(form.getAttribute('action') || window.location.href, window.location.href);
      if (sentTo.pathname === window.location.pathname && guarded(form) && !form.hasAttribute('data-autosave') &&
          holdsText(form)) { form.ilrChanged = true; }
    });
  }

  // --- a form sent: kept until the page after it says it was saved ------------------------------------------

  /* Where a page or form goes, and which record it is about (not where to return to after it). */
  function place(url) {
    var id = url.searchParams.get('id');
    return url.pathname + (id ? '?id=' + id : '');
  }

  /* A sent form is filed under its page and where it was sent. */
  function formRecord(form) {
    var here = new URL(window.location.href);
    return 'form:' + place(here) + '|' + place(new URL(form.getAttribute('action') || here.href, here.href));
  }

  function snapshot(form) {
    var fields = {};
    typedFields(form).forEach(function (el) {
      if (el.type === 'checkbox' || el.type === 'radio') {
        fields[el.name] = fields[el.name] || [];
        if (el.checked) { fields[el.name].push(el.value); }
      } else if (el.tagName === 'SELECT' && el.multiple) {
        fields[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
      } else if (!(el.name in fields)) {
        fields[el.name] = el.value;
      }
    });
    return fields;
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (isSignOut(form)) {
      if (unsavedForms().length && !window.confirm(LEAVE)) {
        event.preventDefault();
        return;
      }
      leaving = true;
      forgetAll();  // pressing Sign out takes everything kept in this tab with it
      return;
    }
    if (!guarded(form) || form.hasAttribute('data-autosave')) { return; }  // an autosave is sent by script
    sending = form;  // its own changes are being saved: no question about them
    if (!holdsText(form)) { return; }
    write(formRecord(form), { fields: snapshot(form), at: Date.now() });
    if (store && person) { store.setItem(keyOf('sent'), formRecord(form)); }
  });

  // The page after a form was sent says whether it was saved: a success message means the kept copy can go.
  if (store && person && store.getItem(keyOf('sent'))) {
    if (document.querySelector('main .alert-success')) { forget(store.getItem(keyOf('sent'))); }
    store.removeItem(keyOf('sent'));
  }

  var DAY_MS = 24 * 60 * 60 * 1000;

  function put(form, fields) {
    var changed = false;
    typedFields(form).forEach(function (el) {
      if (!(el.name in fields)) { return; }
      var want = fields[el.name];
      if (el.type === 'checkbox' || el.type === 'radio') {
        var on = want.indexOf(el.value) !== -1;
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = want.indexOf(o.value) !== -1; });
      } else if (el.value !== want) {
        el.value = want;
        changed = changed || el.type !== 'hidden';
      }
      el.dispatchEvent(new Event(el.type === 'hidden' ? 'change' : 'input', { bubbles: true }));
      if (window.jQuery && el.tagName === 'SELECT') { window.jQuery(el).trigger('change'); }
    });
    return changed;
  }

  function offerBack(form, entry) {
    var before = snapshot(form);
    if (!put(form, entry.fields)) { return; }
    var notice = document.createElement('div');
    notice.className = 'alert alert-warning ilr-kept-notice';
    notice.setAttribute('role', 'status');
    notice.textContent = 'What you typed in this form before was not saved: it is back below, kept in this tab. ' +
      'Check it, then save it. ';
    var discard = document.createElement('button');
    discard.type = 'button';
    discard.className = 'btn btn-link btn-sm p-0 align-baseline';
    discard.textContent = 'Discard it';
    discard.addEventListener('click', function () {
      put(form, before);
      form.ilrChanged = false;
      forget(formRecord(form));
      notice.remove();
    });
    notice.appendChild(discard);
    form.insertAdjacentElement('afterbegin', notice);
    form.ilrChanged = true;
  }

  Array.prototype.forEach.call(document.forms, function (form) {
    if (!guarded(form) || form.hasAttribute('data-autosave')) { return; }
    var entry = read(formRecord(form));
    if (!entry) { return; }
    if (Date.now() - entry.at > DAY_MS) { forget(formRecord(form)); return; }
    offerBack(form, entry);
  });

  // --- leaving the page asks first ------------------------------------------------------------------------

  document.addEventListener('click', function (event) {
    var link = event.target instanceof Element && event.target.closest('a[href]');
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        link.target === '_blank' || link.hasAttribute('download') || link.hasAttribute('data-toggle')) { return; }
    var href = link.getAttribute('href');
    if (href.charAt(0) === '#' || href.indexOf('javascript:') === 0) { return; }
    var to = new URL(link.href, window.location.href);
    var here = window.location;
    var samePage = to.pathname === here.pathname && to.search === here.search;
    if (to.origin !== here.origin || (samePage && to.hash)) { return; }
    if (!unsavedForms().length) { return; }
    if (window.confirm(LEAVE)) {
      leaving = true;
    } else {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  window.addEventListener('beforeunload', function (event) {
    if (leaving || !unsavedForms().length) { return; }
    event.preventDefault();
    event.returnValue = '';
  });

  window.addEventListener('pageshow', function () { leaving = false; sending = null; });
}());
