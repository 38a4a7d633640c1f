"""Browser tests: Playwright driving Debian's Chromium against a live server."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageProblems:
    """Console errors, CSP violations and failed requests seen by a page."""

    def __init__(self, page):
        self.messages = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_request_failed(self, request):
        # ERR_ABORTED is the browser cancelling a request itself, as when a click navigates away
        # while the last page's favicon is still loading; refused, blocked or reset requests
        # have their own codes and are still reported.
        if request.failure != "net::ERR_ABORTED":
            self.messages.append(f"request failed: {request.url} {request.failure}")

    def _on_response(self, response):
        # A stylesheet, script, image or font the page asked for and did not get.
        if response.status >= 400 and response.request.resource_type != "document":
            self.messages.append(f"{response.status} for {response.url}")

    def _on_console(self, message):
        if message.type in {"error", "warning"} and (
            message.type == "error" or "Content Security Policy" in message.text
        ):
            self.messages.append(f"console {message.type}: {message.text}")


def new_page(context):
    """A page of ``context`` that records console errors and CSP violations (see assert_no_problems)."""
    page = context.new_page()
    page.problems = PageProblems(page)
    # Collect CSP violations reported to the page itself.
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return page


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    yield new_page(context)
    context.close()


def assert_no_problems(page):
    violations = page.evaluate("window.__cspViolations || []")
    assert violations == [], f"CSP violations: {violations}"
    assert page.problems.messages == [], "\n".join(page.problems.messages)
