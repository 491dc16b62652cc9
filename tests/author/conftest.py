"""Fixtures for the authoring tests: the scenario library loaded as content, a trainer signed in,
and a reader that collects a rendered form's fields as a browser would submit them."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import scenarios
from simulator.content import ContentItem, sync_content
from simulator.models import Role


@pytest.fixture(scope="session")
def library():
    return scenarios.load_library()


@pytest.fixture
def loaded(app, library):
    """The app with the scenario library loaded as shipped content."""
    with app.app_context():
        sync_content("scenario", [
            ContentItem("scenario", s.id, s.title, s.to_dict(), f"scenarios/library/{s.id}.yaml", s.version)
            for s in library.values()
        ])
    return app


@pytest.fixture
def trainer(loaded, auth):
    return auth.login(Role.TRAINER)


class FormFields(HTMLParser):
    """The (name, value) pairs a browser submits for one ``<form id=...>``: text and hidden inputs,
    checked checkboxes, selected options (else the first), textareas; buttons are left out."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.depth = 0
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: tuple[str | None, bool, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            if attributes.get("id") == self.form_id:
                self.inside = True
            return
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.fields.append((name, attributes.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, attributes.get("value", "") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._option = (attributes.get("value"), "selected" in attributes, [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        if self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value, selected, text = self._option
            self._options.append((value if value is not None else "".join(text), selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if chosen:
                self.fields.append((self._select, chosen[-1]))
            elif self._options:
                self.fields.append((self._select, self._options[0][0]))
            self._select = None


def form_fields(html: str, form_id: str = "draft-form") -> list[tuple[str, str]]:
    reader = FormFields(form_id)
    reader.feed(html)
    assert reader.fields, f"form #{form_id} not found or empty"
    return reader.fields
