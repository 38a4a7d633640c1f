"""The accessibility checks themselves find what they are meant to find (on small pages made here)."""

import pytest

from tests.e2e.a11y_checks import (
    AXE_JS,
    VNU_JAR,
    NotBuiltYet,
    axe_findings,
    keyboard_findings,
    layout_findings,
    run_vnu,
)

pytestmark = [pytest.mark.e2e]

if not AXE_JS.exists():
    pytest.skip("node_modules is missing: run `make node_modules`", allow_module_level=True)

HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Check</title></head>'
SKIP = '<a class="skip" href="#main">Skip to main content</a>'


@pytest.fixture
def blank(browser):
    context = browser.new_context(viewport={"width": 360, "height": 800})
    yield context.new_page()
    context.close()


def test_axe_reports_an_image_without_a_text_alternative(blank):
    blank.set_content(f'{HEAD}<body><main id="main"><h1>Camps</h1><img src="data:,x"></main></body></html>')
    findings = axe_findings(blank, AXE_JS.read_text(), "@360px")
    assert findings[0].startswith("axe @360px: image-alt (critical)")


def test_axe_passes_a_clean_page(blank):
    blank.set_content(
        f'{HEAD}<body><main id="main"><h1>Camps</h1><p>An estimated 200,000.</p></main></body></html>'
    )
    assert axe_findings(blank, AXE_JS.read_text(), "@360px") == []


def test_layout_reports_sideways_scrolling(blank):
    blank.set_content(
        f'{HEAD}<body><main><p style="width: 600px">A long line of text</p></main></body></html>'
    )
    findings = layout_findings(blank, "@360px")
    assert findings[0] == (
        "reflow @360px: the page scrolls sideways (scrollWidth 608px > 360px); "
        'it starts at: p "A long line of text" reaches 608px'
    )


def test_layout_reports_text_cut_off_by_a_hidden_overflow(blank):
    blank.set_content(
        f'{HEAD}<body><main style="overflow: hidden"><p style="width: 600px">Cut text</p></main></body></html>'
    )
    (finding,) = layout_findings(blank, "@360px")
    assert finding.startswith('reflow @360px: cut off or overflowing: p "Cut text" reaches 608px')


def test_target_size_reports_small_targets_side_by_side(blank):
    blank.set_content(
        f"{HEAD}<body><main>"
        '<button style="width: 16px; height: 16px; padding: 0; border: 0">a</button>'
        '<button style="width: 16px; height: 16px; padding: 0; border: 0">b</button>'
        "</main></body></html>"
    )
    findings = layout_findings(blank, "@360px")
    assert findings == [
        'target size @360px: button "a" is 16x16px and too close to button "b"',
        'target size @360px: button "b" is 16x16px and too close to button "a"',
    ]


def test_target_size_accepts_links_in_a_sentence_and_well_spaced_small_targets(blank):
    blank.set_content(
        f"{HEAD}<body><main>"
        '<p>Read the <a href="/a">report</a> and the <a href="/b">letter</a> of the coalition.</p>'
        '<button style="width: 16px; height: 16px; padding: 0; border: 0; margin: 20px">a</button>'
        '<button style="width: 16px; height: 16px; padding: 0; border: 0; margin: 20px">b</button>'
        "</main></body></html>"
    )
    assert layout_findings(blank, "@360px") == []


def test_keyboard_walk_accepts_a_skip_link_and_the_browser_focus_ring(blank):
    blank.set_content(f'{HEAD}<body>{SKIP}<main id="main"><a href="/a">Appeals</a></main></body></html>')
    assert keyboard_findings(blank) == []


def test_keyboard_walk_reports_a_missing_skip_link_and_hidden_focus(blank):
    blank.set_content(
        f"{HEAD}<body><main><a href='/a' style='outline: none'>Appeals</a>"
        "<input name='website' aria-label='Website' style='position: absolute; left: -9999px'>"
        "</main></body></html>"
    )
    assert keyboard_findings(blank) == [
        'keyboard: the first Tab reaches a "Appeals", not a skip link to the main content',
        'keyboard: no visible focus (outline or box-shadow) on a "Appeals"',
        'keyboard: focus lands on an element out of sight: input[name=website] "Website"',
    ]


def test_keyboard_walk_reports_a_positive_tabindex_and_focus_moving_backwards(blank):
    blank.set_content(
        f'{HEAD}<body>{SKIP}<main id="main"><a href="/a">First</a><a href="/b" tabindex="1">Second</a>'
        "</main></body></html>"
    )
    findings = keyboard_findings(blank)
    assert "keyboard: 1 element(s) with a positive tabindex change the reading order" in findings
    assert 'keyboard: focus jumps back from a "Second" to a.skip "Skip to main content"' in findings


def test_nu_checker_reports_errors_per_document(tmp_path):
    if not VNU_JAR.exists():
        pytest.skip("vnu-jar is missing")
    try:
        errors = run_vnu(
            {
                "valid": f"{HEAD}<body><main><h1>Camps</h1></main></body></html>",
                "invalid": f'{HEAD}<body><main><h1>Camps</h1><link rel="canonical" href=""></main></body></html>',
            },
            tmp_path,
        )
    except NotBuiltYet as reason:
        pytest.skip(str(reason))
    assert errors["valid"] == []
    assert any("Bad value “” for attribute “href”" in line for line in errors["invalid"])
