/* List filters on dates and times: typed and picked as 20/12/2026 and 14:30 (London, 24-hour), weeks from Monday.
 *
 * Flask-Admin's filter script hard-codes its picker to 2026-12-20 and rewrites the box as each key is pressed
 * (20/12/2026 became 0002-01-010/12/2026). This script runs before it: when Flask-Admin's form script announces
 * itself ("adminFormReady"), its `applyStyle` is wrapped so that every date or time filter box, the ones a
 * list opens with and the ones added later, gets a British picker that never rewrites what is being typed.
 * The server reads what is typed (admin/filters.py) and says when it cannot.
 */
(function ($) {
  'use strict';
  var FORMATS = {
    datepicker: 'DD/MM/YYYY', daterangepicker: 'DD/MM/YYYY',
    datetimepicker: 'DD/MM/YYYY HH:mm', datetimerangepicker: 'DD/MM/YYYY HH:mm'
  };
  var HINTS = {
    datepicker: 'dd/mm/yyyy', daterangepicker: 'dd/mm/yyyy to dd/mm/yyyy',
    datetimepicker: 'dd/mm/yyyy hh:mm', datetimerangepicker: 'dd/mm/yyyy hh:mm to dd/mm/yyyy hh:mm'
  };
  var SEPARATOR = ' to ';

  /* The calendar follows what is typed once it is a whole date (or two), without touching the box. */
  function follow($box, format, single) {
    var picker = $box.data('daterangepicker');
    var parts = single ? [$box.val()] : $box.val().split(SEPARATOR);
    var dates = parts.map(function (part) { return moment(part.trim(), format, true); });
    var whole = dates.length === (single ? 1 : 2) && dates.every(function (d) { return d.isValid(); });
    if (!picker || !whole || dates[dates.length - 1].isBefore(dates[0])) { return; }
    picker.startDate = dates[0];
    picker.endDate = dates[dates.length - 1];
    picker.updateView();
    picker.updateCalendars();
  }

  function british($box, type) {
    var format = FORMATS[type];
    var single = type.indexOf('range') === -1;
    $box.attr({ 'data-date-format': format, placeholder: HINTS[type], autocomplete: 'off' });
    $box.daterangepicker({
      singleDatePicker: single,
      timePicker: type.indexOf('datetime') === 0,
      timePicker12Hour: false,
      timePickerIncrement: 1,
      showDropdowns: true,
      separator: SEPARATOR,
      format: format,
      locale: { firstDay: 1, applyLabel: 'Apply', cancelLabel: 'Cancel', fromLabel: 'From', toLabel: 'To' }
    }, function () { $box.trigger('change'); });
    // The picker's own key handler rewrites the box from a half-typed date: read it our way instead.
    $box.off('keyup.daterangepicker').on('keyup.ilr input.ilr', function () { follow($box, format, single); });
    return true;
  }

  function britishFilters() {
    var form = window.faForm;
    if (!form || form.ilrBritish) { return; }
    var applyStyle = form.applyStyle;
    form.applyStyle = function ($el, name) {
      if (FORMATS[name] && $el.closest('#filter_form').length) { return british($el, name); }
      return applyStyle.apply(this, arguments);
    };
    form.ilrBritish = true;
  }

  $(document).on('adminFormReady', britishFilters);
  britishFilters();  // in case Flask-Admin's form script ran first
}(jQuery));
