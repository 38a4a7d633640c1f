"""XSS payloads in every signer field and every admin-editable text field stay inert in Chromium.

Each payload, if it ever ran, would call ``window.__xss(n)`` (defined before any page script by an init
script). On every page that shows the data we assert that no call was recorded, no dialog opened, no
Content Security Policy violation was reported (a blocked inline script is a violation too, so an injection
that CSP stops still fails the test), no console error appeared, and no element carries an injected event
handler, script, ``srcdoc`` or ``javascript:`` URL. Where a page shows a field, its payload must be visible
as plain text.
"""

import csv
import io
import json
import re
import unicodedata
from xml.sax.saxutils import escape as xml_escape

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from campaign.models import Appeal, Campaign, Contact, Demand, KeyFact, Milestone, Statement
from coalition.models import Member
from petitions.models import ConsentWording, Petition, Signature
from petitions.services import confirming, tokens
from testimonies.models import Passage, Topic
from testimonies.models import Testimony as SurvivorTestimony  # not a test class
from tests.e2e.conftest import assert_no_problems, new_page
from tests.factories import sign_in_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Each would call __xss(n) if a browser ever ran it. Short ones first: small fields take what fits.
PAYLOADS = [
    "<script>__xss(1)</script>",
    '"><img src=x onerror=__xss(2)>',
    "'><svg onload=__xss(3)>",
    '" autofocus onfocus="__xss(4)" x="',
    "' autofocus onfocus='__xss(5)' x='",
    '{{ 7|add:1 }} {% now "Y" %} ${7*7} #{7*7} __xss(6)',
    "</textarea><script>__xss(7)</script>",
    '<p style="background:url(javascript:__xss(8))">css</p>',
    '<style>*{background:url("javascript:__xss(9)");width:expression(__xss(9))}</style>',
    "</title><script>__xss(10)</script>",
    '<iframe srcdoc="<script>parent.__xss(11)</script>"></iframe>',
    '<a href="javascript:__xss(12)">link</a>',
    "\uff1cscript\uff1e__xss(13)\uff1c/script\uff1e",  # fullwidth < and >
    "<scr\u200bipt>__xss(14)</scr\u200bipt>",  # zero-width space inside the tag name
    "</script><script>__xss(15)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss(16)>",
    "]]><script>__xss(17)</script>",
    '<meta http-equiv="refresh" content="0;url=javascript:__xss(18)">',
]
JAVASCRIPT_URL = "javascript:__xss(19)"

# Names the signing form refuses, with the message it shows.
REFUSED_NAMES = [
    ("--><svg onload=__xss(20)><!--", "A name cannot start with"),
    ("\u202e<script>__xss(23)</script>", "invisible or control characters"),
    ('<a href="https://evil.example.com">__xss(24)</a>', "not a web address"),
]
# Quoted local parts may hold < > ( ) / = but no space.
PAYLOAD_EMAILS = ['"<script>__xss(25)</script>"@example.org', '"<img/src=x/onerror=__xss(26)>"@example.org']
FORMULA_COMMENTS = ['=HYPERLINK("http://x.invalid","__xss(27)")', "+1+__xss(28)", "-2+3", "@SUM(1)"]

INIT_SCRIPT = """
window.__xss_calls = [];
window.__xss = function (n) { window.__xss_calls.push(String(n)); };
"""

# Anything a payload would have had to become to run: event handlers, scripts, frames, javascript: URLs.
FIND_INJECTIONS = r"""() => {
  const found = [];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value;
      const bare = value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
      if (name.startsWith("on") && value.includes("__xss")) found.push(`${tag}[${name}]`);
      else if (urlAttributes.includes(name) && bare.startsWith("javascript:")) found.push(`${tag}[${name}=${value}]`);
      else if (name === "srcdoc") found.push(`${tag}[srcdoc]`);
      else if (name === "style" && /__xss|expression\(/i.test(value)) found.push(`${tag}[style]`);
      else if (name === "content" && tag === "meta" && bare.includes("javascript:")) found.push("meta refresh");
    }
    if ((tag === "script" || tag === "style") && el.textContent.includes("__xss")) found.push(`<${tag}>`);
    if (["iframe", "object", "embed", "frame"].includes(tag)) found.push(`<${tag}>`);
  }
  return found;
}"""


FAVICON_MISSING = "Failed to load resource: the server responded with a status of 404 (Not Found)"

SHOWN_TEXT = """() => [document.documentElement.textContent]
  .concat(Array.from(document.querySelectorAll("input, textarea"), field => field.value)).join(" ")"""


def payload_text(label, max_length=None):
    """``[label]`` followed by every payload that fits in ``max_length``."""
    text = f"[{label}]"
    for payload in PAYLOADS:
        candidate = f"{text} {payload}"
        if max_length is None or len(candidate) <= max_length:
            text = candidate
    return text


def packed(payloads, max_length):
    """The payloads joined by spaces into as few strings of at most ``max_length`` as they fit in."""
    strings = []
    for payload in payloads:
        if strings and len(strings[-1]) + 1 + len(payload) <= max_length:
            strings[-1] += " " + payload
        else:
            strings.append(payload)
    return strings


def squash(text):
    return " ".join(text.split())


def open_page(context):
    page = new_page(context)
    page.add_init_script(INIT_SCRIPT)
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)

    # Chromium asks for /favicon.ico when it shows a JSON or XML document itself (the site links
    # only an SVG icon, from its HTML pages): that 404, and only that one, is no problem.
    page.favicon_misses = 0

    def on_console(message):
        if message.text == FAVICON_MISSING and message.location.get("url", "").endswith("/favicon.ico"):
            page.favicon_misses += 1

    page.on("console", on_console)
    return page


def assert_inert(page, *texts):
    """Nothing ran or was injected on the current page, and each of ``texts`` shows as plain text."""
    page.wait_for_load_state()
    where = page.url
    assert page.evaluate("window.__xss_calls") == [], f"script ran on {where}"
    assert page.dialogs == [], f"dialog opened on {where}: {page.dialogs}"
    assert page.evaluate(FIND_INJECTIONS) == [], f"markup injected on {where}"
    for _ in range(page.favicon_misses):
        page.problems.messages.remove(f"console error: {FAVICON_MISSING}")
    page.favicon_misses = 0
    assert_no_problems(page)
    # The text of the page and the values of its form fields (the admin shows data in inputs).
    shown = squash(page.evaluate(SHOWN_TEXT))
    for text in texts:
        assert squash(text) in shown, f"{text[:40]!r} not shown as text on {where}"


SOURCE_FORMS = {
    # Chromium shows a JSON or XML document as its source text: the payload appears as encoded there.
    "json": lambda text: json.dumps(text, cls=DjangoJSONEncoder)[1:-1],
    "xml": xml_escape,
}


def visit(page, path, *texts, status=200, document=None):
    """Go to ``path`` and assert_inert(); ``document``: "json" or "xml" that Chromium shows as source."""
    response = page.goto(path)
    assert response.status == status, f"{path}: {response.status}"
    if status >= 400:
        # Chromium logs an error page's own status as a console error.
        expected = f"the server responded with a status of {status} ({response.status_text})"
        page.problems.messages = [m for m in page.problems.messages if not m.endswith(expected)]
    if document == "xml" and page.evaluate("!!document.getElementById('webkit-xml-viewer-source-xml')"):
        # Chromium's own XML tree viewer styles itself inline, which the site's CSP blocks: those
        # reports name no source of ours. The sitemap holds no editable text, only URLs.
        page.evaluate(
            "window.__cspViolations = window.__cspViolations.filter(v => v !== 'style-src-elem inline')"
        )
        page.problems.messages = [
            m for m in page.problems.messages if "Applying inline style violates" not in m
        ]
    if document:
        texts = [SOURCE_FORMS[document](text) for text in texts]
    assert_inert(page, *texts)
    return response


def log_in(context, live_server, user):
    client = Client()
    sign_in_staff(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def supporter_data_user():
    """A staff user in the "Supporter data" group (rebuilt here: transactional tests flush the data migration's)."""
    from importlib import import_module

    migration = import_module("campaign.migrations.0002_staff_groups_and_cache_table")
    group, _ = Group.objects.get_or_create(name=migration.SUPPORTER_DATA)
    # The codenames as the migration gave them; their models have since moved to ``petitions``.
    for _, codename in migration.SUPPORTER_PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label="petitions", codename=codename))
    user = User.objects.create_user("supporter-data", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def browser_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    yield context
    context.close()


# --- Signer fields --------------------------------------------------------------------------


@pytest.fixture
def open_petition(settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    settings.PETITION_RATE_LIMITS = False
    petition = Petition.objects.create(
        title="For a Commission of Inquiry",
        slug="coi",
        ask="We ask the UN Human Rights Council to establish a Commission of Inquiry.",
        addressee="the UN Human Rights Council",
        state=Petition.State.OPEN,
        opens_at=timezone.now() - timezone.timedelta(days=1),
        is_featured=True,
        goal=100,
    )
    ConsentWording.objects.create(petition=petition, version=1, text="I agree to the privacy notice.")
    return petition


def sign(page, petition, *, name, email, comment="", country="KR", query=""):
    page.goto(petition.get_absolute_url() + query)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("combobox", name="Country").select_option(country)
    page.get_by_role("textbox", name="Comment").fill(comment)
    page.get_by_label("Show my name").check()
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Sign the petition").click()


def test_signer_payloads_are_inert_on_the_petition_api_and_admin_and_defused_in_the_csv(
    browser_context, live_server, open_petition
):
    petition = open_petition
    page = open_page(browser_context)

    # A payload in ?ref= names no coalition member: it is dropped before the page is built (so the
    # page cache never keys on it) and never comes back, not even as the hidden field's value.
    ref = PAYLOADS[1] + PAYLOADS[3]
    ref_query = f"?ref={ref.replace('#', '%23').replace('&', '%26')}"
    page.goto(petition.get_absolute_url() + ref_query)
    assert page.locator("input[name=ref]").input_value() == ""
    assert_inert(page)

    # Every payload in a name (as many as fit in 100 characters), with payload comments and emails.
    accepted = {}
    # Names with invisible format characters are refused at the form (see test_hostile_input).
    visible = [payload for payload in PAYLOADS if not any(unicodedata.category(c) == "Cf" for c in payload)]
    for n, name in enumerate(packed(visible, 100)):
        email = PAYLOAD_EMAILS[n] if n < len(PAYLOAD_EMAILS) else f"signer{n}@example.org"
        comment = FORMULA_COMMENTS[n] if n < len(FORMULA_COMMENTS) else " ".join(PAYLOADS)[:500]
        sign(page, petition, name=name, email=email, comment=comment, query=ref_query if n == 0 else "")
        assert page.get_by_role("heading", level=1).inner_text() == "Check your email", name
        assert_inert(page)
        accepted[name] = (email, comment)
    stored = {s.name: s for s in Signature.objects.filter(petition=petition)}
    assert set(stored) == set(accepted)
    assert all(signature.referrer is None for signature in stored.values())
    assert all(signature.state == Signature.State.PENDING for signature in stored.values())

    # Refused names: a clear error beside the field, the value kept, nothing stored.
    for name, message in REFUSED_NAMES:
        sign(page, petition, name=name, email="refused@example.org")
        expect(page.get_by_text(message)).to_be_visible()
        assert page.get_by_role("textbox", name="Name").input_value() == name
        assert_inert(page)
    assert not Signature.objects.filter(email="refused@example.org").exists()

    # A country outside the list (forced into the <select>) is refused too.
    page.goto(petition.get_absolute_url())
    page.evaluate(
        """payload => { const select = document.querySelector("select[name=country]");
        select.add(new Option("x", payload)); select.value = payload; }""",
        PAYLOADS[1],
    )
    page.get_by_role("textbox", name="Name").fill("Country tester")
    page.get_by_role("textbox", name="Email").fill("country@example.org")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Sign the petition").click()
    expect(page.get_by_text("Please choose your country from the list.")).to_be_visible()
    assert_inert(page)
    assert not Signature.objects.filter(email="country@example.org").exists()

    for signature in stored.values():
        confirming.confirm_signature(signature_id=signature.pk)

    # Public pages: recent signers, countries, the API as the browser shows it.
    shown_names = [
        s.name for s in Signature.objects.filter(petition=petition).order_by("-confirmed_at", "-pk")
    ]
    visit(page, petition.get_absolute_url(), *shown_names[:10])
    visit(page, f"/petitions/{petition.slug}/countries/", "South Korea")
    visit(page, "/api/v1/petitions/", petition.title, document="json")
    visit(page, f"/api/v1/petitions/{petition.slug}/", petition.title, document="json")

    # The admin, as a member of the "Supporter data" group.
    log_in(browser_context, live_server, supporter_data_user())
    visit(page, "/admin/petitions/signature/", *shown_names)
    # The list shows every name; these change pages add both payload emails, a formula and every payload
    # as a comment.
    names = list(accepted)
    for name in (names[0], names[1], names[len(FORMULA_COMMENTS)]):
        email, comment = accepted[name]
        visit(page, f"/admin/petitions/signature/{stored[name].pk}/change/", name, email, comment)
    visit(page, "/admin/petitions/signature/?q=%3Cscript%3E", PAYLOAD_EMAILS[0])
    visit(page, f"/admin/petitions/signature/?q={PAYLOADS[1].replace(' ', '+')}")
    visit(page, "/admin/petitions/signatureexport/")

    # The CSV export downloads (never renders) and defuses formulas.
    page.goto("/admin/petitions/signature/")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("export_csv")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Run").click()
    with open(download_info.value.path(), encoding="utf-8-sig", newline="") as downloaded:
        rows = list(csv.DictReader(downloaded))
    assert {row["name"] for row in rows} == set(stored)
    comments = {row["comment"] for row in rows}
    for formula in FORMULA_COMMENTS:
        assert "'" + formula in comments
        assert formula not in comments
    assert PAYLOAD_EMAILS[1] in {row["email"] for row in rows}
    # A download ends the navigation the form started: Chromium reports that request as aborted.
    aborted = f"request failed: {live_server.url}/admin/petitions/signature/ net::ERR_ABORTED"
    for _ in range(50):
        if aborted in page.problems.messages:
            page.problems.messages.remove(aborted)
            break
        page.wait_for_timeout(100)
    assert_inert(page)

    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        "/admin/petitions/signature/",
        form={
            "csrfmiddlewaretoken": token,
            "action": "export_csv",
            "index": "0",
            "_selected_action": str(next(iter(stored.values())).pk),
        },
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert next(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))["name"] in stored
    page.close()


# --- Admin-editable content -----------------------------------------------------------------


def make_payload_content():
    """One published object of every content model, every text field full of payloads."""
    day = timezone.now().date()
    campaign = Campaign.objects.create(
        name=payload_text("campaign.name", 200),
        short_name=payload_text("cs", 30),
        objective=payload_text("campaign.objective"),
        summary=payload_text("campaign.summary"),
    )
    KeyFact.objects.create(
        campaign=campaign, figure=payload_text("kf", 50), label=payload_text("kf.label", 300)
    )
    appeal = Appeal.objects.create(
        title=payload_text("appeal.title", 200),
        slug="appeal",
        issuer=payload_text("appeal.issuer", 200),
        addressee=payload_text("appeal.addressee", 200),
        introduction=payload_text("appeal.introduction"),
        date=day,
        is_published=True,
    )
    Demand.objects.create(appeal=appeal, text=payload_text("demand.text"))
    Milestone.objects.create(
        title=payload_text("milestone.title", 200),
        slug="milestone",
        place=payload_text("milestone.place", 200),
        description=payload_text("milestone.description"),
        date=day,
        is_published=True,
    )
    statement = Statement.objects.create(
        title=payload_text("statement.title", 300),
        slug="statement",
        author=payload_text("statement.author", 200),
        organisation=payload_text("statement.organisation", 200),
        date=day,
        place=payload_text("statement.place", 200),
        occasion=payload_text("statement.occasion", 300),
        summary=payload_text("statement.summary"),
        body=payload_text("statement.body") + "\n\n" + payload_text("statement.body2"),
        is_published=True,
    )
    contact = Contact.objects.create(
        name=payload_text("contact.name", 200),
        address=payload_text("contact.address"),
        phone=payload_text("cp", 50),
        fax=payload_text("cf", 50),
        email=PAYLOAD_EMAILS[0],
        website=JAVASCRIPT_URL,
        facebook_url=JAVASCRIPT_URL,
        twitter_url=" " + JAVASCRIPT_URL,
        youtube_url='https://example.org/"><script>__xss(1)</script>',
    )
    petition = Petition.objects.create(
        title=payload_text("petition.title", 200),
        slug="payload-petition",
        ask=payload_text("petition.ask"),
        description=payload_text("petition.description"),
        addressee=payload_text("petition.addressee", 200),
        state=Petition.State.OPEN,
        opens_at=timezone.now() - timezone.timedelta(days=1),
        is_featured=True,
    )
    ConsentWording.objects.create(petition=petition, version=1, text=payload_text("consent.text"))
    delivered = Petition.objects.create(
        title=payload_text("delivered.title", 200),
        slug="delivered-petition",
        ask=payload_text("delivered.ask"),
        addressee=payload_text("delivered.addressee", 200),
        state=Petition.State.DELIVERED,
        delivered_on=day,
        delivered_to=payload_text("delivered.to", 200),
    )
    member = Member.objects.create(
        name=payload_text("member.name", 200),
        slug="member",
        acronym=payload_text("ma", 30),
        description=payload_text("member.description"),
        website=JAVASCRIPT_URL,
        role=payload_text("member.role", 200),
        is_published=True,
    )
    topic = Topic.objects.create(name=payload_text("topic.name", 100), slug="topic")
    testimony = SurvivorTestimony.objects.create(
        name=payload_text("testimony.name", 200),
        slug="testimony",
        summary=payload_text("testimony.summary"),
        body=payload_text("testimony.body"),
        detention_place=payload_text("testimony.detention_place", 200),
        given_at=payload_text("testimony.given_at", 200),
        source=payload_text("testimony.source", 300),
        source_url=JAVASCRIPT_URL,
        consent_basis=SurvivorTestimony.ConsentBasis.PUBLIC,
        consent_date=day,
        consent_scope=payload_text("testimony.consent_scope"),
        is_published=True,
    )
    testimony.topics.add(topic)
    Passage.objects.create(testimony=testimony, position=1, text=payload_text("passage.text"))
    Passage.objects.create(
        testimony=testimony,
        position=2,
        text=payload_text("graphic.text"),
        is_graphic=True,
        warning=payload_text("passage.warning", 200),
    )
    return {
        "campaign": campaign,
        "appeal": appeal,
        "statement": statement,
        "contact": contact,
        "petition": petition,
        "delivered": delivered,
        "member": member,
        "topic": topic,
        "testimony": testimony,
    }


def t(label, max_length=None):
    return payload_text(label, max_length)


def test_content_payloads_are_inert_on_every_public_page_and_in_the_admin(
    browser_context, live_server, settings
):
    settings.PETITION_COUNT_MAX_AGE = 0
    objects = make_payload_content()
    petition = objects["petition"]
    page = open_page(browser_context)

    visit(
        page,
        "/",
        t("campaign.name", 200),
        t("campaign.objective"),
        t("kf", 50),
        t("kf.label", 300),
        t("petition.title", 200),
        t("statement.title", 300),
        t("member.name", 200),
        t("testimony.name", 200),
        t("testimony.summary"),
    )
    visit(
        page,
        "/coalition/",
        t("member.name", 200),
        t("ma", 30),
        t("member.description"),
        t("member.role", 200),
    )
    visit(page, "/testimonies/", t("testimony.name", 200), t("testimony.summary"), t("topic.name", 100))
    visit(page, "/testimonies/?topic=topic", t("testimony.name", 200))
    visit(
        page,
        "/testimonies/testimony/",
        t("testimony.name", 200),
        t("testimony.body"),
        t("testimony.detention_place", 200),
        t("testimony.given_at", 200),
        t("testimony.source", 300),
        t("passage.text"),
        t("passage.warning", 200),
        t("graphic.text"),
    )
    visit(
        page,
        "/appeals/",
        t("appeal.title", 200),
        t("appeal.issuer", 200),
        t("appeal.addressee", 200),
        t("appeal.introduction"),
        t("demand.text"),
    )
    visit(
        page, "/timeline/", t("milestone.title", 200), t("milestone.place", 200), t("milestone.description")
    )
    visit(page, "/news/", t("statement.title", 300), t("statement.summary"))
    visit(
        page,
        "/news/statement/",
        t("statement.title", 300),
        t("statement.author", 200),
        t("statement.organisation", 200),
        t("statement.place", 200),
        t("statement.occasion", 300),
        t("statement.body"),
        t("statement.body2"),
    )
    visit(page, "/news/feed/", t("statement.title", 300), document="xml")
    visit(page, "/about/", t("contact.name", 200), t("contact.address"), t("cp", 50), t("cf", 50))
    page.get_by_role("button", name="Show email address").click()
    assert_inert(page, PAYLOAD_EMAILS[0])
    visit(page, "/privacy/")
    visit(
        page,
        petition.get_absolute_url(),
        t("petition.title", 200),
        t("petition.ask"),
        t("petition.description"),
        t("petition.addressee", 200),
        t("consent.text"),
    )
    visit(page, objects["delivered"].get_absolute_url(), t("delivered.title", 200), t("delivered.to", 200))
    visit(page, f"/petitions/{petition.slug}/thanks/", t("petition.title", 200))
    signature = Signature.objects.create(
        petition=petition,
        name="Reader",
        email="reader@example.org",
        email_normalised="reader@example.org",
        country="KR",
        consent_wording=petition.consent_wordings.get(),
        referrer=objects["member"],
    )
    visit(
        page,
        f"/petitions/{petition.slug}/confirm/{tokens.make_token(signature=signature, purpose='confirm')}/",
    )
    page.get_by_role("button", name="Confirm my signature").click()
    assert_inert(page, t("petition.title", 200))
    visit(
        page,
        f"/petitions/{petition.slug}/withdraw/{tokens.make_token(signature=signature, purpose='withdraw')}/",
    )
    visit(page, f"/petitions/{petition.slug}/confirm/forged-token/", status=400)
    visit(page, f"/petitions/{petition.slug}/countries/", t("petition.title", 200), "South Korea")
    visit(page, "/sitemap.xml", document="xml")
    visit(page, "/api/v1/petitions/", t("petition.title", 200), document="json")

    # The admin, as a superuser: every list and change page that shows these fields.
    superuser = User.objects.create_superuser("admin", "admin@example.org", password=None)
    log_in(browser_context, live_server, superuser)
    admin_pages = {
        "campaign/campaign": (objects["campaign"], [t("campaign.name", 200), t("kf.label", 300)]),
        "campaign/appeal": (objects["appeal"], [t("appeal.title", 200), t("demand.text")]),
        "campaign/milestone": (
            Milestone.objects.get(),
            [t("milestone.title", 200), t("milestone.description")],
        ),
        "campaign/statement": (objects["statement"], [t("statement.title", 300), t("statement.body")]),
        "campaign/contact": (objects["contact"], [t("contact.name", 200), t("contact.address")]),
        "petitions/petition": (
            petition,
            [t("petition.title", 200), t("consent.text"), t("member.name", 200)],
        ),
        "coalition/member": (objects["member"], [t("member.name", 200), t("member.description")]),
        "testimonies/testimony": (
            objects["testimony"],
            [t("testimony.name", 200), t("passage.warning", 200)],
        ),
        "testimonies/topic": (objects["topic"], [t("topic.name", 100)]),
    }
    visit(page, "/admin/")
    for model, (obj, texts) in admin_pages.items():
        visit(page, f"/admin/{model}/", texts[0])
        visit(page, f"/admin/{model}/{obj.pk}/change/", *texts)
    visit(page, f"/admin/petitions/petition/{objects['delivered'].pk}/change/", t("delivered.to", 200))
    visit(page, "/admin/campaign/statement/?q=%3Cscript%3E", t("statement.title", 300))
    visit(page, "/admin/coalition/member/?q=%22%3E%3Cimg+src%3Dx+onerror%3D__xss(2)%3E")
    # Staff preview of a draft statement.
    Statement.objects.filter(pk=objects["statement"].pk).update(is_published=False)
    visit(page, "/news/statement/", t("statement.body"))
    page.close()


def test_the_admin_refuses_javascript_urls(browser_context, live_server):
    member = Member.objects.create(name="Human Rights Without Frontiers", slug="hrwf", is_published=True)
    contact = Contact.objects.create(name="ICNK secretariat")
    log_in(browser_context, live_server, User.objects.create_superuser("admin", "admin@example.org", None))
    page = open_page(browser_context)

    page.goto(f"/admin/coalition/member/{member.pk}/change/")
    page.get_by_role("textbox", name="Website").fill(JAVASCRIPT_URL)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Enter a valid URL.")).to_be_visible()
    assert_inert(page)

    page.goto(f"/admin/campaign/contact/{contact.pk}/change/")
    for label in ("Website", "Facebook url", "Twitter url", "Youtube url"):
        page.get_by_role("textbox", name=label).fill(JAVASCRIPT_URL)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Enter a valid URL.")).to_have_count(4)
    assert_inert(page)
    member.refresh_from_db()
    contact.refresh_from_db()
    assert (member.website, contact.website, contact.facebook_url) == ("", "", "")
    assert re.fullmatch(r"/admin/campaign/contact/\d+/change/", page.url.removeprefix(live_server.url))
    page.close()
