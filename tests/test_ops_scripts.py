"""The operations scripts' helpers (scripts/ops, the bench and reliability scenarios) without a server."""

import sys
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench_scenarios.pages import statuses
from bench_scenarios.wrk import junk_lua
from ops.forms import find_form, post_form
from ops.web import Response
from reliability_scenarios.body_limit import HOSTILE_FIELDS, hostile_bodies, p99_ms

PAGE = """
<form method="post" action="/en/cookies/"><input type="hidden" name="csrfmiddlewaretoken" value="banner"></form>
<form method="get" action="/search/"><input name="email"></form>
<form method="post" action="">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok&amp;en">
  <input type="hidden" name="issued" value="stamp">
  <input name="name" value="typed"><input type="email" name="email">
  <select name="country"><option value="">Choose</option><option value="GB">UK</option></select>
  <textarea name="comment">hello</textarea>
  <input type="checkbox" name="consent"><button type="submit">Sign</button>
</form>
"""


def test_post_form_skips_the_cookie_banner_and_get_forms_and_keeps_only_hidden_values():
    action, fields = post_form(PAGE, "email")
    assert action is None
    assert fields == {"csrfmiddlewaretoken": "tok&en", "issued": "stamp", "name": "", "email": "",
                      "country": "", "comment": ""}  # fmt: skip


def test_find_form_by_csrf_token_is_not_the_cookie_banner():
    assert find_form(PAGE)["action"] == ""
    assert find_form("<p>no form</p>") is None


def test_every_hostile_body_is_exactly_the_limit_and_reaches_the_form_fields():
    fields = {"csrfmiddlewaretoken": "t" * 64, "issued": "stamp", "ref": "", "website": ""}
    bodies = hostile_bodies(fields, 256 * 1024)
    assert set(bodies) == {*HOSTILE_FIELDS, "all"}
    for variant, body in bodies.items():
        assert len(body) == 256 * 1024
        values = parse_qs(body.decode(), keep_blank_values=True)
        assert values["csrfmiddlewaretoken"] == ["t" * 64]
        long_fields = {name for name, [value] in values.items() if len(value) > 1000}
        assert long_fields == (set(HOSTILE_FIELDS) if variant == "all" else {variant})


def test_p99_is_the_value_below_which_99_percent_fall():
    assert p99_ms([i / 1000 for i in range(1, 101)]) == 99.0
    assert p99_ms([]) is None


def test_junk_lua_gives_the_parameter_or_the_cookie_a_random_value():
    value = "values[n % #values + 1]"
    assert f'"/en/news/?page=" .. {value}' in junk_lua("/en/news/", param="page")
    assert f'"/p/?x=1&ref=" .. {value}' in junk_lua("/p/?x=1", param="ref")
    assert f'["Cookie"] = "sessionid=" .. {value}' in junk_lua("/", cookie="sessionid")
    # The yardstick runs the same script with the plain path.
    assert 'wrk.format("GET", "/news/", {})' in junk_lua("/news/")


def test_statuses_name_the_answers_wrk_counted():
    assert statuses({"n2xx": 10}) == "2xx"
    assert statuses({"n3xx": 1, "n4xx": 3}) == "3xx 25%, 4xx 75%"


def test_response_cookies_and_headers_ignore_case():
    response = Response(200, [("Set-Cookie", "csrftoken=abc; Path=/"), ("content-type", "text/html")], b"")
    assert response.cookies() == {"csrftoken": "abc"}
    assert response.header("Content-Type") == "text/html"
