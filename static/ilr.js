/* ILR Coordinator: behaviour that Flask-Admin wires with inline handlers, which our CSP forbids. */
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }

    var bulk = target.closest('[data-ilr-action]');
    if (bulk) {
      event.preventDefault();
      window.modelActions.execute(bulk.getAttribute('data-ilr-action'));
      return;
    }
    var confirmable = target.closest('[data-confirm]');
    if (confirmable && !window.confirm(confirmable.getAttribute('data-confirm'))) {
      event.preventDefault();
      return;
    }
    var inlineAdd = target.closest('[data-inline-add]');
    if (inlineAdd) {
      event.preventDefault();
      window.faForm.addInlineField(inlineAdd, inlineAdd.getAttribute('data-inline-add'));
    }
  });
  // Flask-Admin's menu toggles, "current page" tabs and pager links go nowhere. Caught while the
  // click travels down (capture), because Flask-Admin's dropdown script stops it travelling back up,
  // and a followed javascript: link is a CSP violation.
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest('a[href="#"], a[href^="javascript:"]')) {
      event.preventDefault();
    }
  }, true);
}());

/* Flask-Admin's filter rows are built by script without labels: name each control after its filter. */
(function () {
  'use strict';
  function labelFilters(root) {
    root.querySelectorAll('table.filters tr').forEach(function (row) {
      var remove = row.querySelector('.remove-filter');
      if (!remove) { return; }
      var name = remove.textContent.replace(/\u00d7/g, '').trim();
      remove.setAttribute('aria-label', 'Remove the filter on ' + name);
      row.querySelectorAll('select.filter-op, .filter-op input').forEach(function (control) {
        if (!control.getAttribute('aria-label')) { control.setAttribute('aria-label', 'Condition for ' + name); }
      });
      row.querySelectorAll('.filter-val, .select2-container input').forEach(function (control) {
        if (!control.getAttribute('aria-label')) { control.setAttribute('aria-label', 'Value for ' + name); }
      });
    });
  }
  var table = document.querySelector('table.filters');
  if (!table) { return; }
  labelFilters(document);
  new MutationObserver(function () { labelFilters(document); }).observe(table, { childList: true, subtree: true });
}());

/* The idle time-out: a minute before the server would end the session, say so and offer to stay signed in. */
(function () {
  'use strict';
  var body = document.body;
  var idle = Number(body.getAttribute('data-idle-seconds'));
  var warning = document.getElementById('idle-warning');
  if (!idle || !warning) { return; }
  var timer = null;
  function restart() {
    warning.hidden = true;
    clearTimeout(timer);
    timer = setTimeout(function () { warning.hidden = false; }, Math.max(idle - 60, 1) * 1000);
  }
  document.getElementById('stay-signed-in').addEventListener('click', function () {
    fetch(body.getAttribute('data-keep-alive'), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRFToken': body.getAttribute('data-csrf'), 'Accept': 'application/json' }
    }).then(function (response) { if (response.ok) { restart(); } });
  });
  // Anything the page saves in the background (the live minutes) keeps the session alive too.
  document.addEventListener('ilr:saved', restart);
  restart();
}());

/* Suggestions that follow another field (issue 26): a series' chair is offered from the chosen locality's members,
   and a patient's named GP from the chosen practice's GPs (by id from a select, or by the ODS code typed). Without
   script every choice is shown, and the server checks it. */
(function () {
  'use strict';
  function follow(control, update) {
    if (!control) { return; }
    control.addEventListener('change', update);
    control.addEventListener('input', update);
    if (window.jQuery) { window.jQuery(control).on('change', update); }  // select2 announces through jQuery only
    update();
  }
  document.querySelectorAll('select[data-chairs-of]').forEach(function (chair) {
    var locality = document.getElementById(chair.getAttribute('data-chairs-of'));
    follow(locality, function () {
      chair.querySelectorAll('optgroup').forEach(function (group) {
        var shown = !locality.value || group.getAttribute('data-locality') === locality.value;
        group.hidden = !shown;
        group.querySelectorAll('option').forEach(function (option) { option.disabled = !shown; });
      });
      if (chair.selectedOptions.length && chair.selectedOptions[0].disabled) { chair.value = ''; }
    });
  });
  document.querySelectorAll('input[data-gp-practice]').forEach(function (input) {
    var practice = document.getElementById(input.getAttribute('data-gp-practice'));
    var list = input.list;
    if (!list) { return; }
    follow(practice, function () {
      var chosen = (practice.value || '').trim().toUpperCase();
      list.querySelectorAll('option').forEach(function (option) {
        option.disabled = Boolean(chosen) && chosen !== option.getAttribute('data-practice-id') &&
          chosen !== option.getAttribute('data-practice-ods').toUpperCase();
      });
    });
  });
}());

/* Escape closes an open menu and leaves focus on its toggle, wherever focus is in it. (Flask-Admin's pages load
 * Bootstrap's dropdown twice, so its own Escape on the toggle opens the menu as often as it closes it.) */
(function () {
  'use strict';
  window.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') { return; }
    var menu = document.querySelector('.dropdown-menu.show');
    var toggle = menu && menu.parentNode.querySelector('[data-toggle="dropdown"]');
    if (!toggle) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    menu.classList.remove('show');
    menu.parentNode.classList.remove('show');
    toggle.setAttribute('aria-expanded', 'false');
    toggle.focus();
  }, true);
}());

/* The look-up boxes (Select2) say what to do in our words, not the library's ("Please enter 1 or more character"). */
(function () {
  'use strict';
  var $ = window.jQuery;
  if (!$ || !$.fn.select2) { return; }
  $.extend($.fn.select2.defaults, {
    formatInputTooShort: function (input, min) {
      var more = min - input.length;
      return 'Type at least ' + more + (more === 1 ? ' letter or digit' : ' letters or digits');
    },
    formatNoMatches: function () { return 'Nothing found: try fewer letters, or another spelling'; },
    formatSearching: function () { return 'Searching…'; },
    formatLoadMore: function () { return 'Loading more…'; },
    formatAjaxError: function () { return 'The search did not answer: try again'; }
  });
}());

/* A part of a page that comes in its own request once the page is shown (the team lead's month figures on the home
   page): [data-fill-from] is replaced by what its address answers; if that fails, what it already says (a link to
   where the same is shown) stays, less its "counting…". */
(function () {
  'use strict';
  document.querySelectorAll('[data-fill-from]').forEach(function (place) {
    fetch(place.getAttribute('data-fill-from'), { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(answer.status); }
        return answer.text();
      })
      .then(function (html) {
        place.innerHTML = html;
        place.removeAttribute('aria-busy');
      })
      .catch(function () {
        place.querySelectorAll('[data-fill-waiting]').forEach(function (waiting) { waiting.remove(); });
        place.removeAttribute('aria-busy');
      });
  });
}());
