"""The cookie choice in a real browser, with and without JavaScript, and the shell at 360 px."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PageProblems, assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _consent_cookie(context):
    return next((c for c in context.cookies() if c["name"] == "cookie_consent"), None)


def test_decline_all_hides_the_banner_without_console_errors(page):
    page.goto("/timeline/")
    banner = page.get_by_role("region", name="Cookies on this site")
    assert banner.is_visible()
    page.get_by_role("button", name="Decline all").click()
    page.wait_for_url("**/timeline/")
    assert page.get_by_role("region", name="Cookies on this site").count() == 0
    cookie = _consent_cookie(page.context)
    assert cookie["value"] == "declined"
    assert cookie["httpOnly"]
    assert {c["name"] for c in page.context.cookies()} == {"csrftoken", "cookie_consent"}
    assert_no_problems(page)


def test_decline_all_works_with_javascript_disabled(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        problems = PageProblems(page)
        page.goto("/news/")
        assert page.get_by_role("region", name="Cookies on this site").is_visible()
        page.get_by_role("button", name="Decline all").click()
        page.wait_for_url("**/news/")
        assert page.get_by_role("region", name="Cookies on this site").count() == 0
        assert _consent_cookie(context)["value"] == "declined"
        # The choice can be changed later from the footer link.
        page.get_by_role("link", name="Cookie preferences").click()
        page.get_by_role("button", name="Accept all").click()
        expect(page.get_by_text("you accepted all cookies.")).to_be_visible()
        assert _consent_cookie(context)["value"] == "accepted"
        assert problems.messages == []
    finally:
        context.close()


def test_header_and_banner_fit_a_360px_screen_without_javascript(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/")
        nav = page.get_by_role("navigation", name="Main")
        for name in ["Appeals", "Testimonies", "Coalition", "Timeline", "News", "About"]:
            link = nav.get_by_role("link", name=name)
            assert link.is_visible()
            box = link.bounding_box()
            assert box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert page.get_by_role("link", name="Sign the petition").first.is_visible()
        assert page.get_by_role("button", name="Accept all").is_visible()
    finally:
        context.close()


def test_no_horizontal_scrolling_at_360px(page):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/cookies/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_no_problems(page)
