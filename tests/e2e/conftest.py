"""Browser tests: the app served by a real WSGI server in a thread, driven by Debian's Chromium."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from simulator import create_app
from simulator.cli import seed_demo_users
from simulator.content import sync_content
from simulator.extensions import db
from tests.conftest import TEST_CONFIG, empty_tables, fresh_database

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-password-123"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def live_app(migrated_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    url = fresh_database(migrated_template, folder)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "JOBS_FOLDER": str(folder / "jobs")})
    with app.app_context():
        if not url.startswith("sqlite"):
            empty_tables()
        seed_demo_users(DEMO_PASSWORD)
        from simulator.shipped import shipped_content

        for kind, items in shipped_content():
            sync_content(kind, items)
    return app


_RESPONSE = "tests.e2e.response"


class _ClosingRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, closing the response when the browser drops the connection mid-write.

    A page that navigates away while a static file is still being sent (htmx after a logout
    redirect) makes the dev server skip the response's ``close()``: the file is then closed by the
    garbage collector with a ResourceWarning, which this suite turns into a failure (one CI run of
    tests/e2e/test_certification_e2e.py). The app wrapper below keeps the response in the environ.
    """

    def connection_dropped(self, error, environ=None):
        response = environ.pop(_RESPONSE, None) if environ else None
        if response is not None and hasattr(response, "close"):
            response.close()


def _keeping_response(app):
    def wsgi(environ, start_response):
        response = app(environ, start_response)
        environ[_RESPONSE] = response
        return response

    return wsgi


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, _keeping_response(live_app), threaded=True,
                         request_handler=_ClosingRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleWatcher:
    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    page.set_default_timeout(15_000)
    yield page
    errors = page.console.errors
    context.close()
    assert errors == [], f"browser console errors: {errors}"


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/auth/login")
    page.get_by_label("工号").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def wait_htmx_settled(page) -> None:
    """Wait until htmx has swapped, settled and processed new content.

    htmx attaches the triggers of swapped-in elements only after the settle delay (the elements carry
    ``htmx-added`` until then), so a control filled straight after a swap can lose its event.
    """
    from playwright.sync_api import expect

    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def answer_correctly(page, item) -> None:
    """Answer the quiz question on screen through its form controls, from the key the test read in the database.

    ``item`` is one of :func:`simulator.quiz.service.drawn_questions` (its options and items in the order
    shown). A short answer gets the question's reference answer.
    """
    from playwright.sync_api import expect

    question = item.question
    kind = question.type_name
    form = page.locator("#quiz-panel form.quiz-form")
    if kind == "single":
        form.locator(f'input[name="answer"][value="{question.answer}"]').check()
    elif kind == "multiple":
        for letter in question.answer:
            form.locator(f'input[name="answer"][value="{letter}"]').check()
            expect(page.locator(".htmx-request")).to_have_count(0)
    elif kind == "truefalse":
        form.locator(f'input[name="answer"][value="{"true" if question.answer else "false"}"]').check()
    elif kind == "fill":
        form.locator('input[name="answer"]').fill(question.answer_text().split(" / ")[0])
    elif kind == "ordering":
        shown = item.shown_items()
        for slot, text in enumerate(question.items):
            form.locator(f"#quiz-order-{slot}").select_option(str(shown.index(text)))
            expect(page.locator(".htmx-request")).to_have_count(0)
    elif kind == "short":
        form.locator('textarea[name="answer"]').fill(question.reference)
    else:
        raise AssertionError(f"unexpected question type {kind}")


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
