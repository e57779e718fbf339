"""The user guide inside the app: `docs/guide/*.md`, rendered as Markdown (raw HTML off), with its screenshots.

Each page starts with a few lines of front matter (title, order, who may read it):

    ---
    title: Meeting day
    order: 2
    readers: staff
    ---

`readers` is `staff` (coordinators, the team lead and observers) or `everyone` (partners too). A screen is named in
the text as `[[screen:triage.index_view]]`: it is shown by its name in the menu as the app has it now ("Referrals ›
Triage queue"), linked when it needs no record, and a page naming an endpoint the app no longer serves fails
tests/test_guide.py. `[[screen:record.patient|the patient's page]]` gives the words for a screen reached from a
record. Images are `![what it shows](triage.png)`, files in docs/guide/images/ taken by `python -m docs.screenshots`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import abort, current_app, send_from_directory, url_for
from flask_admin import expose
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup

from access import ALL_ROLES, READERS
from admin.base import SecureView

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide"
IMAGES = GUIDE / "images"
#: Who may read a page, by its front matter's `readers`.
READERS_BY_NAME = {"staff": READERS, "everyone": ALL_ROLES}
SCREEN = re.compile(r"\[\[screen:([a-z_]+\.[a-z_]+)(?:\|([^\]]+))?\]\]")
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: The screens reached from a record rather than the menu, by the name a person calls them.
NOT_IN_MENU = {
    "record": "the patient's page",
    "meeting_room": "the meeting's page",
    "care_plan_page": "the care-plan page",
}


@dataclass(frozen=True)
class GuidePage:
    slug: str
    title: str
    order: int
    readers: frozenset
    text: str

    @property
    def screens(self) -> list[str]:
        """The endpoints the page names, in order."""
        return [endpoint for endpoint, _words in SCREEN.findall(self.text)]

    @property
    def images(self) -> list[str]:
        """The screenshots the page shows (file names in docs/guide/images/)."""
        return [token.attrs["src"] for token in _images(_markdown().parse(SCREEN.sub("screen", self.text)))]


def _front_matter(path: Path) -> GuidePage:
    text = path.read_text(encoding="utf-8")
    head, _, body = text.removeprefix("---\n").partition("\n---\n")
    fields = dict(line.split(":", 1) for line in head.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    return GuidePage(
        slug=path.stem,
        title=fields["title"],
        order=int(fields.get("order", "99")),
        readers=READERS_BY_NAME[fields.get("readers", "staff")],
        text=body,
    )


@cache
def _pages_in(folder: Path) -> tuple[GuidePage, ...]:
    return tuple(sorted((_front_matter(p) for p in folder.glob("*.md")), key=lambda p: (p.order, p.slug)))


def guide_pages() -> tuple[GuidePage, ...]:
    """Every page of the guide, in order (read once per process: the pages ship with the app)."""
    return _pages_in(GUIDE)


def unknown_screens(page: GuidePage) -> list[str]:
    """The endpoints a page names that the app does not serve (a screen renamed or removed since it was written)."""
    return [endpoint for endpoint in page.screens if endpoint not in current_app.view_functions]


def missing_images(page: GuidePage) -> list[str]:
    """The screenshots a page shows that are not in docs/guide/images/ (take them: `python -m docs.screenshots`)."""
    return [name for name in page.images if not IMAGE_NAME.match(name) or not (IMAGES / name).is_file()]


@cache
def _markdown() -> MarkdownIt:
    """CommonMark with tables; raw HTML is shown as text, never passed through."""
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _images(tokens):
    for token in tokens:
        if token.type == "inline":
            yield from (child for child in token.children or () if child.type == "image")


def _menu_words(admin, endpoint: str) -> str:
    """A screen as the menu names it: "Referrals › Triage queue", or its plain name when it is not in the menu."""
    blueprint = endpoint.split(".", 1)[0]
    if blueprint in NOT_IN_MENU:
        return NOT_IN_MENU[blueprint]
    for view in admin._views:
        if view.endpoint == blueprint:
            return f"{view.category} › {view.name}" if view.category else view.name
    return blueprint.replace("_", " ")


def _screen_link(admin, endpoint: str, words: str | None) -> str:
    """The screen as Markdown: a link to it when it needs no record, else its name in bold."""
    text = (words or _menu_words(admin, endpoint)).replace("[", "(").replace("]", ")")
    rules = list(current_app.url_map.iter_rules(endpoint))
    if rules and not any(rule.arguments for rule in rules):
        return f"[{text}]({url_for(endpoint)})"
    return f"**{text}**"


def render_page(page: GuidePage, admin) -> Markup:
    """The page's HTML: screens named and linked as the app has them, images served by the guide."""
    text = SCREEN.sub(lambda m: _screen_link(admin, m.group(1), m.group(2)), page.text)
    md = _markdown()
    tokens = md.parse(text)
    for image in _images(tokens):
        image.attrSet("src", url_for("guide.image", filename=image.attrs["src"]))
        image.attrSet("class", "img-fluid border rounded guide-shot")
        image.attrSet("loading", "lazy")
    return Markup(md.renderer.render(tokens, md.options, {}))  # noqa: S704  # nosec B704 - rendered with raw HTML off


class GuideView(SecureView):
    """`/admin/guide/`: the guide's pages for whoever may read each; partners get the page written for them."""

    roles = ALL_ROLES

    def _readable(self) -> list[GuidePage]:
        return [page for page in guide_pages() if current_user.role in page.readers]

    @expose("/")
    def index(self):
        return self.render("admin/guide/index.html", pages=self._readable())

    @expose("/<slug>")
    def page(self, slug: str):
        found = next((p for p in guide_pages() if p.slug == slug), None) if SLUG.match(slug) else None
        if found is None:
            abort(404)
        if current_user.role not in found.readers:
            abort(403)
        pages = self._readable()
        return self.render("admin/guide/page.html", page=found, pages=pages, html=render_page(found, self.admin))

    @expose("/images/<filename>")
    def image(self, filename: str):
        """A screenshot, to whoever may read a page that shows it."""
        if not IMAGE_NAME.match(filename) or not any(filename in page.images for page in guide_pages()):
            abort(404)
        if not any(filename in page.images for page in self._readable()):
            abort(403)
        return send_from_directory(IMAGES, filename, mimetype="image/png", max_age=3600)


def register(admin) -> None:
    admin.add_view(GuideView(name="User guide", endpoint="guide", url="/admin/guide"))
