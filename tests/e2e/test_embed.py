"""The embeddable petition in a real Chromium, framed by a page of another origin (a member's site).

The site runs on ``localhost`` (the live server); the member's pages are served by a tiny
``http.server`` on ``127.0.0.1`` on other ports, so they are other origins: one of them is in
``EMBED_EXTRA_ORIGINS``, the other is not. The browser blocks third-party cookies.
"""

import html
import http.server
import re
import threading

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from coalition.tests.factories import make_member
from petitions import embed
from petitions.models import Signature
from petitions.tests.factories import make_petition, make_signature
from tests.e2e.a11y_checks import AXE_JS, axe_findings, fill_petition_form, submit_button, unique_email
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, assert_no_problems, new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class MemberSite:
    """A member's website on its own origin: serves ``pages[path]`` as HTML."""

    def __init__(self):
        self.pages = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = site.pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def member_sites():
    sites = [MemberSite(), MemberSite()]
    yield sites
    for site in sites:
        site.stop()


@pytest.fixture
def no_third_party_cookies_browser(browser):
    """A second Chromium, from the same Playwright, with third-party cookies blocked (as most browsers now do)."""
    blocking = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"], headless=True
    )
    yield blocking
    blocking.close()


@pytest.fixture
def setup(live_server, member_sites, settings):
    cache.clear()
    allowed, refused = member_sites
    settings.EMBED_EXTRA_ORIGINS = [allowed.origin]
    settings.PETITION_COUNT_MAX_AGE = 0
    petition = make_petition(title="For a UN Commission of Inquiry on North Korea", goal=100)
    make_signature(petition, state=Signature.State.CONFIRMED)
    member = make_member(
        slug="seoul-friends", name="Seoul Friends", website="https://seoul-friends.example.org/"
    )
    with_member = embed.embed_url(petition, member)
    host_page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>A member's page</title>"
        "<link rel='icon' href='data:,'></head>"
        "<body><h1>Our campaign</h1>"
        f"{embed.snippet(petition, member).replace('http://testserver', live_server.url)}"
        "</body></html>"
    )
    # The snippet's address is unprefixed (it redirects to the visitor's language); this one is the English one.
    host_page = host_page.replace(f"{live_server.url}/embed/", f"{live_server.url}/en/embed/")
    for site in member_sites:
        site.pages["/"] = host_page
    yield {
        "petition": petition,
        "member": member,
        "allowed": allowed,
        "refused": refused,
        "embed_url": live_server.url + with_member,
        "live": live_server.url,
    }
    cache.clear()


def test_a_member_page_frames_the_petition_and_a_supporter_signs_inside_it(
    setup, no_third_party_cookies_browser
):
    context = no_third_party_cookies_browser.new_context()
    page = new_page(context)
    page.goto(setup["allowed"].origin + "/")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text(setup["petition"].title)
    expect(frame.locator(".petition-count-figure")).to_have_text("1")

    # The host page cannot reach into the frame (another origin).
    assert page.evaluate("document.querySelector('iframe').contentDocument") is None
    # The frame told the page its height; the host script sized the frame to it.
    expect(page.locator("iframe")).to_have_attribute("style", re.compile(r"height: *\d+px"))
    frame_height = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
    inner_height = page.frames[1].evaluate(
        "Math.ceil(document.documentElement.getBoundingClientRect().height)"
    )
    assert abs(frame_height - inner_height) <= 2

    email = unique_email()
    form = frame.locator("main form[method=post i]")
    fill_petition_form(form, email)
    submit_button(form).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert page.url == setup["allowed"].origin + "/"  # the thanks page stayed in the frame

    signature = Signature.objects.get(email=email)
    assert signature.referrer == setup["member"]
    assert signature.state == Signature.State.PENDING
    # Nothing was stored in the browser for the site, first- or third-party.
    assert context.cookies() == []
    assert_no_problems(page)
    context.close()


def test_a_page_of_an_origin_not_on_the_list_cannot_frame_it(setup, browser):
    context = browser.new_context()
    page = context.new_page()
    refusals = []
    page.on("console", lambda message: "frame-ancestors" in message.text and refusals.append(message.text))
    page.goto(setup["refused"].origin + "/")
    page.wait_for_timeout(500)
    assert page.frame_locator("iframe").locator("form").count() == 0
    assert refusals, "Chromium should report the frame-ancestors refusal"
    context.close()


def test_the_full_petition_page_cannot_be_framed_even_by_a_member(setup, browser):
    setup["allowed"].pages["/petition"] = (
        "<!doctype html><title>x</title>"
        f"<iframe src='{setup['live']}{setup['petition'].get_absolute_url()}' title='petition'></iframe>"
    )
    context = browser.new_context()
    page = context.new_page()
    refusals = []
    page.on("console", lambda message: "frame-ancestors" in message.text and refusals.append(message.text))
    page.goto(setup["allowed"].origin + "/petition")
    page.wait_for_timeout(500)
    assert page.frame_locator("iframe").locator("form").count() == 0
    assert refusals
    context.close()


def test_a_post_forged_by_another_site_is_refused_and_stores_nothing(setup, browser):
    petition = setup["petition"]
    token = embed.issue_embed_token(petition=petition, member=setup["member"])
    fields = {
        "issued": token,
        "name": "Forged Signer",
        "email": "forged@example.org",
        "country": "KR",
        "consent": "on",
        "website": "",
    }
    inputs = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(value)}'>" for name, value in fields.items()
    )
    setup["allowed"].pages["/forged"] = (
        "<!doctype html><title>Win a prize</title>"
        f"<form method='post' action='{setup['embed_url']}'>{inputs}<button>Win</button></form>"
    )
    context = browser.new_context()
    page = context.new_page()
    page.goto(setup["allowed"].origin + "/forged")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Win").click()
    assert navigation.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This form cannot be sent from here")
    assert not Signature.objects.filter(email="forged@example.org").exists()
    context.close()


@pytest.mark.skipif(not AXE_JS.exists(), reason="node_modules is missing: run `make node_modules`")
def test_the_embed_has_no_axe_violations_framed_or_alone(setup, browser):
    axe_source = AXE_JS.read_text(encoding="utf-8")
    context = browser.new_context()
    page = new_page(context)
    page.goto(setup["embed_url"])
    findings = axe_findings(page, axe_source, "embed")
    form = page.locator("main form[method=post i]")
    form.evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        submit_button(form).click()
    findings += axe_findings(page, axe_source, "embed with errors")
    # Inside the member's page: axe checks the frame's content too, and the frame's title.
    page.goto(setup["allowed"].origin + "/")
    expect(page.frame_locator("iframe").locator("form")).to_have_count(1)
    findings += axe_findings(page, axe_source, "framed")
    assert not findings, "\n".join(findings)
    assert_no_problems(page)
    context.close()
