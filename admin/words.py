"""The app's own words where Flask-Admin would say its own: one table, for every screen's templates and messages.

Flask-Admin passes its English through `gettext` (its templates call `_gettext`; its views flash the result).
Without Flask-Babel installed there is no catalogue to translate into, so this is the hook instead: every
secured view renders with `own_gettext` (see `OwnWords`), and every flashed message is shown through
`own_words` (a template filter, registered in app.py, used where templates/ilr/base.html and
templates/layout.html show messages). A string Flask-Admin adds later that
is not listed here shows as Flask-Admin wrote it; tests/test_words_crawl.py fails on the ones we know.
"""

from __future__ import annotations

import re

from markupsafe import Markup

#: Flask-Admin's English (as it passes it to gettext, placeholders included) -> ours.
OURS = {
    "List": "All records",
    "Create": "Add",
    "Create New Record": "Add a record",
    "Edit Record": "Edit",
    "View Record": "Open",
    "Details": "Record",
    "Save and Add Another": "Save, then add another",
    "Save and Continue Editing": "Save and keep editing",
    "Record was successfully created.": "Saved.",
    "Record was successfully saved.": "Changes saved.",
    "Failed to create record.": "Nothing was saved: please correct the fields marked below.",
    "Failed to save record.": "Nothing was saved: please correct the fields marked below.",
    "Record does not exist.": "That record does not exist, or it is not one you may see.",
    "Invalid Filter Value: %(value)s": "“%(value)s” is not a value this filter can take.",
    "There are no items in the table.": "Nothing to show.",
    "Add Filter": "Filter",
    "Reset Filters": "Clear filters",
    "items": "per page",
    "With selected": "With the selected records",
    "Please select at least one record.": "Select at least one record first.",
    "Are you sure you want to delete this record?": "Delete this record?",
    "Please select model": "Type to search",
}
#: Messages Flask-Admin flashes already filled in, as patterns -> ours (`own_words` reads flashes after the fact).
_FILLED = [(re.compile(r"^Invalid Filter Value: (.*)$", re.S), "“{0}” is not a value this filter can take.")]
#: Page-size choices ("25 items") say what they choose.
_PAGE_SIZE = re.compile(r"^(\d+) items?$")


def own_gettext(string: str, **variables) -> str:
    """Flask-Admin's gettext, in our words."""
    text = OURS.get(str(string), str(string))
    return text % variables if variables else text


def own_ngettext(singular: str, many: str, count: int, **variables) -> str:
    """Flask-Admin's ngettext, in our words ("25 items" in the page-size menu is "25 per page")."""
    chosen = singular if count == 1 else many
    size = _PAGE_SIZE.match(str(chosen))
    if size:
        return f"{size.group(1)} per page"
    return own_gettext(chosen, **({"num": count} | variables))


def own_words(message):
    """A flashed message in our words (Flask-Admin's own are flashed before we see them)."""
    if isinstance(message, Markup):
        return message
    text = str(message)
    if text in OURS:
        return OURS[text]
    for pattern, ours in _FILLED:
        found = pattern.match(text)
        if found:
            return ours.format(*found.groups())
    return text


class OwnWords:
    """Mixed into every secured view: its templates call `own_gettext` where Flask-Admin's would call its own."""

    def render(self, template, **kwargs):
        self._template_args.update(_gettext=own_gettext, _ngettext=own_ngettext)
        return super().render(template, **kwargs)
