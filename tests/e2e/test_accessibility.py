"""Every public page meets WCAG 2.2 AA, is valid HTML, and works without JavaScript, on small screens and by
keyboard (issue 5).

ALL_PAGES is the one list of pages: a new page is checked by adding a line to it. Paths of detail pages
come from the database (the deployment fixtures loaded with ``load_content``, plus builder objects for
what they lack, see site_content.py). Each page is one test, ``test_page`` (axe-core at 1280 and 360 px,
reflow, target size, keyboard walk, console and CSP, reading without JavaScript); then flows without
JavaScript and by keyboard; ``test_html_is_valid`` runs the Nu HTML Checker once over every page's source.

Needs node_modules (``make node_modules``) for axe-core and vnu-jar, and Java for the Nu checker.
Set A11Y_ALL_PAGES=1 to check ALL_PAGES instead of PAGES (see below).
"""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from petitions.models import Signature
from tests.e2e.a11y_checks import (
    AXE_JS,
    HEIGHT,
    PETITION_FORM,
    WIDTHS,
    NotBuiltYet,
    Page,
    axe_findings,
    fill_petition_form,
    keyboard_findings,
    layout_findings,
    open_page,
    reading,
    run_vnu,
    submit_button,
    unique_email,
)
from tests.e2e.conftest import new_page
from tests.e2e.site_content import ensure_site_content, make_signature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

if not AXE_JS.exists():
    pytest.skip(
        "node_modules is missing: run `make node_modules` to install axe-core and vnu-jar",
        allow_module_level=True,
    )


def signature_token(signature, purpose):
    """Adapter to the petition's signed tokens ("confirm" or "withdraw") for a signature."""
    try:
        from petitions.services.tokens import make_token
    except ImportError:
        raise NotBuiltYet(
            "campaign.services.make_token (the petition's signed tokens) is not merged yet"
        ) from None
    return make_token(signature=signature, purpose=purpose)


def _petition(site):
    return site.petition.get_absolute_url()


def _confirm(site):
    signature = make_signature(site.petition, email=unique_email())
    token = signature_token(signature, "confirm")
    return reverse("petitions:confirm", kwargs={"slug": site.petition.slug, "token": token})


def _withdraw(site):
    signature = make_signature(site.petition, state=Signature.State.CONFIRMED, email=unique_email())
    token = signature_token(signature, "withdraw")
    return reverse("petitions:withdraw", kwargs={"slug": site.petition.slug, "token": token})


ALL_PAGES = [
    Page("home", "/"),
    Page("coalition", "/coalition/"),
    Page("coalition-individuals", "/coalition/?kind=individual"),
    Page("testimonies", "/testimonies/"),
    Page("testimony", lambda site: site.testimony.get_absolute_url()),
    Page("appeals", "/appeals/"),
    Page("timeline", "/timeline/"),
    Page("news", "/news/"),
    Page("statement", lambda site: site.statement.get_absolute_url()),
    Page("about", "/about/"),
    Page("privacy", "/privacy/"),
    Page("cookies", "/cookies/"),
    Page("petition", _petition),
    Page("petition-form-errors", _petition, action="submit-empty", status=(200, 400, 422)),
    Page("petition-thanks", _petition, action="sign"),
    Page("petition-confirm", _confirm),
    Page("petition-withdraw", _withdraw),
    Page("petition-countries", lambda site: f"{site.petition.get_absolute_url()}countries/"),
    Page("not-found", "/no-such-page/", status=(404,)),
    Page("csrf-failure", _petition, action="submit-without-csrf", status=(403,)),
    Page("server-error", "/__checks__/500/", status=(500,)),
    Page("database-down", "/__checks__/503/", status=(503,)),
]

LANGUAGES = [code for code, _ in settings.LANGUAGES]
LANGUAGE_PREFIX = re.compile(r"^/(?:" + "|".join(LANGUAGES) + r")/")
LANGUAGE_OF = {}


def in_language(spec, language):
    """``spec`` in ``language``: its path reversed under that language, or given that prefix.

    The two deliberate failures (/__checks__/…) have no prefix: the browser's
    Accept-Language (the context's locale) chooses their language.
    """

    def path(site):
        with translation.override(language):
            resolved = spec.resolve(site)
        if resolved.startswith("/__checks__/") or LANGUAGE_PREFIX.match(resolved):
            return resolved
        return f"/{language}{resolved}"

    page = Page(f"{language}-{spec.id}", path, spec.action, spec.status)
    LANGUAGE_OF[page.id] = language
    return page


# Every page in every language (issue 13).
PAGES = [in_language(spec, language) for language in LANGUAGES for spec in ALL_PAGES]


@pytest.fixture(scope="module")
def axe_source():
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def html_sources():
    """Each page's HTML source as served, collected by test_page for the one run of the Nu checker."""
    return {}


@pytest.fixture
def site(live_server, settings):
    settings.ROOT_URLCONF = "tests.e2e.a11y_urls"
    # Rate limits and cached pages live in the cache: start every test from an empty one.
    cache.clear()
    yield ensure_site_content()
    cache.clear()


@pytest.fixture
def context_factory(browser, live_server):
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": WIDTHS[0], "height": HEIGHT})
        contexts.append(browser.new_context(base_url=live_server.url, **options))
        return new_page(contexts[-1])

    yield make
    for context in contexts:
        context.close()


def open_or_skip(page, spec, path):
    try:
        return open_page(page, spec, path)
    except NotBuiltYet as reason:
        pytest.skip(str(reason))


def console_findings(page, spec, label):
    """Console errors and CSP violations; an error page's own status is not a problem."""
    own_status = tuple(
        f"console error: Failed to load resource: the server responded with a status of {status}"
        for status in spec.status
        if status >= 400
    )
    messages = [message for message in page.problems.messages if not message.startswith(own_status)]
    messages += [f"CSP violation: {v}" for v in page.evaluate("window.__cspViolations || []")]
    messages += page.failed_subresources
    return [f"console {label}: {message}" for message in messages]


def watch_subresources(page):
    page.failed_subresources = []
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.request.is_navigation_request()
            and page.failed_subresources.append(f"{response.url} answered {response.status}")
        ),
    )


def arrival_findings(response, spec, path, label):
    findings = []
    if response.status not in spec.status:
        findings.append(f"status {label}: {response.status}, expected {' or '.join(map(str, spec.status))}")
    if spec.action == "get":
        wanted = path.split("?")[0]
        arrived = re.sub(r"^https?://[^/]+", "", response.url).split("?")[0]
        if arrived != wanted:
            findings.append(f"status {label}: arrived at {arrived} instead of {wanted}")
    return findings


def language_findings(page, language):
    """The page says its language; every other lang attribute names one of the site's languages."""
    found = page.evaluate(
        """() => ({html: document.documentElement.lang,
                  others: [...document.body.querySelectorAll('[lang]')].map(e => e.lang)})"""
    )
    findings = []
    if found["html"] != language:
        findings.append(f"lang: <html lang={found['html']!r}>, expected {language!r}")
    findings += [f"lang: an element says lang={other!r}" for other in set(found["others"]) - set(LANGUAGES)]
    return findings


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.id)
def test_page(spec, site, context_factory, axe_source, html_sources):
    try:
        path = spec.resolve(site)
    except NotBuiltYet as reason:
        pytest.skip(str(reason))
    language = LANGUAGE_OF[spec.id]
    page = context_factory(locale=language)
    watch_subresources(page)
    response = open_or_skip(page, spec, path)
    html_sources[spec.id] = response.text()
    findings = arrival_findings(response, spec, path, "")
    findings += language_findings(page, language)
    with_js = reading(page)
    if not with_js["mainText"]:
        findings.append("reading: <main> has no text")
    findings += keyboard_findings(page)
    reported = set()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        findings += axe_findings(page, axe_source, f"@{width}px", reported)
        findings += layout_findings(page, f"@{width}px")
    findings += console_findings(page, spec, "")

    # Without JavaScript the page reads the same: no text or heading depends on a script.
    plain = context_factory(java_script_enabled=False, locale=language)
    watch_subresources(plain)
    plain_response = open_page(plain, spec, path)
    findings += arrival_findings(plain_response, spec, path, "without JavaScript")
    without_js = reading(plain)
    missing = [h for h in with_js["headings"] if h not in without_js["headings"]]
    if missing:
        findings.append(f"without JavaScript: headings missing: {missing}")
    if len(without_js["mainText"]) < 0.9 * len(with_js["mainText"]):
        findings.append(
            f"without JavaScript: <main> shows {len(without_js['mainText'])} characters "
            f"instead of {len(with_js['mainText'])}"
        )
    findings += console_findings(plain, spec, "without JavaScript")

    assert not findings, f"{spec.id} ({path}):\n" + "\n".join(findings)


# Flows ----------------------------------------------------------------------------


def test_content_warning_opens_without_javascript(site, context_factory):
    page = context_factory(java_script_enabled=False)
    page.goto(site.testimony.get_absolute_url())
    warning = page.locator("main details").first
    if warning.count() == 0:
        pytest.skip("the testimony page shows no content warning (<details>) yet")
    assert warning.get_attribute("open") is None, "a content warning must start closed"
    hidden = warning.locator(":scope > :not(summary)").first
    assert not hidden.is_visible(), "the graphic passage must be hidden until the reader opens it"
    warning.locator("summary").click()
    assert warning.get_attribute("open") is not None
    assert hidden.is_visible()


def test_cookie_choice_works_without_javascript(site, context_factory):
    page = context_factory(java_script_enabled=False)
    page.goto("/")
    cookies_path = reverse("campaign:cookies")
    banner = page.locator(f"form[action='{cookies_path}']:not(main form)")
    if banner.count() == 0:
        pytest.skip("the cookie banner (a form posting to /cookies/ outside <main>) is not built yet")
    before = {cookie["name"] for cookie in page.context.cookies()}
    with page.expect_navigation():
        banner.get_by_role("button", name=re.compile("decline|reject|necessary", re.I)).first.click()
    assert page.locator(f"form[action='{cookies_path}']:not(main form)").count() == 0, "banner still shown"
    assert {cookie["name"] for cookie in page.context.cookies()} - before, "the choice was not remembered"


@pytest.mark.parametrize("language", ["en", "ja", "ko"])
def test_petition_sign_confirm_withdraw_without_javascript(site, context_factory, language):
    page = context_factory(java_script_enabled=False, locale=language)
    with translation.override(language):
        page.goto(site.petition.get_absolute_url())
        thanks = reverse("petitions:thanks", kwargs={"slug": site.petition.slug})
    assert page.evaluate("document.documentElement.lang") == language
    form = page.locator(PETITION_FORM)
    if form.count() == 0:
        pytest.skip("the petition form is not built yet")
    email = unique_email()
    fill_petition_form(form, email)
    with page.expect_navigation():
        submit_button(form).click()
    assert page.url.endswith(thanks)
    signature = Signature.objects.get(petition=site.petition, email=email)
    assert signature.language == language
    (message,) = [m for m in mail.outbox if email in m.to]
    body = message.body + "".join(str(alternative[0]) for alternative in getattr(message, "alternatives", []))
    confirm = re.search(r"/\w\w/petitions/[\w-]+/confirm/[^/\s\"<]+/", body).group(0)
    withdraw = re.search(r"/\w\w/petitions/[\w-]+/withdraw/[^/\s\"<]+/", body).group(0)
    assert confirm.startswith(f"/{language}/") and withdraw.startswith(f"/{language}/")

    page.goto(confirm)
    assert page.evaluate("document.documentElement.lang") == language
    with page.expect_navigation():
        submit_button(page.locator("main form[method=post i]").first).click()
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED

    page.goto(withdraw)
    with page.expect_navigation():
        submit_button(page.locator("main form[method=post i]").first).click()
    signature.refresh_from_db()
    assert signature.state == Signature.State.WITHDRAWN
    assert page.evaluate("document.documentElement.lang") == language


def test_petition_form_can_be_sent_with_the_keyboard_alone(site, context_factory):
    page = context_factory()
    page.goto(site.petition.get_absolute_url())
    if page.locator(PETITION_FORM).count() == 0:
        pytest.skip("the petition form is not built yet")
    email = unique_email()
    for _ in range(150):
        page.keyboard.press("Tab")
        field = page.evaluate(
            """(selector) => {
              const el = document.activeElement, form = document.querySelector(selector);
              if (!form || !form.contains(el)) return null;
              return {tag: el.tagName.toLowerCase(), type: (el.type || '').toLowerCase(), required: el.required,
                      filled: el.type === 'checkbox' ? el.checked : !!el.value};
            }""",
            PETITION_FORM,
        )
        if field is None:
            continue
        if field["type"] == "submit" or (field["tag"] == "button" and field["type"] in {"", "submit"}):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
        if field["filled"] or not (field["required"] or field["type"] == "email"):
            continue
        if field["type"] == "checkbox":
            page.keyboard.press("Space")
        elif field["tag"] == "select":
            page.keyboard.press("ArrowDown")
        else:
            page.keyboard.type(email if field["type"] == "email" else "Test Signer")
    else:
        pytest.fail("Tab never reached the petition form's submit button")
    assert page.url.endswith(reverse("petitions:thanks", kwargs={"slug": site.petition.slug}))
    assert Signature.objects.filter(petition=site.petition, email=email).exists()


# Valid HTML: one run of the Nu checker over every page (kept last: it reuses the sources test_page saw) ----


def test_html_is_valid(site, context_factory, html_sources, tmp_path):
    documents, skipped = {}, []
    page = context_factory()
    for spec in PAGES:
        if spec.id in html_sources:
            documents[spec.id] = html_sources[spec.id]
            continue
        try:
            documents[spec.id] = open_page(page, spec, spec.resolve(site)).text()
        except NotBuiltYet as reason:
            skipped.append(f"{spec.id}: {reason}")
    if not documents:
        pytest.skip("no page to check: " + "; ".join(skipped))
    try:
        errors = run_vnu(documents, tmp_path)
    except NotBuiltYet as reason:
        pytest.skip(str(reason))
    report = [f"{name}:\n    " + "\n    ".join(lines) for name, lines in errors.items() if lines]
    assert not report, "Nu HTML Checker errors:\n" + "\n".join(report)
    if skipped:
        print("Not checked yet:", *skipped, sep="\n  ")
