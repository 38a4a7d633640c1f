import pytest

from tests.e2e.conftest import assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_page_loads_without_console_errors_or_csp_violations(page):
    response = page.goto("/")
    assert response.status == 200
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert page.locator("h1").first.is_visible()
    assert page.locator("main#main").count() == 1
    assert_no_problems(page)


def test_skip_link_moves_focus_to_main_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
