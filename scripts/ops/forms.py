"""Forms and assets read from a page's HTML, the way a browser would find them."""

import re
from html.parser import HTMLParser

# Forms do not nest, so each <form>…</form> can be read on its own and the rest of the page skipped:
# a load client reading every signer's page spends its CPU there otherwise (~10 ms a petition page).
FORMS = re.compile(r"<form\b.*?</form\s*>", re.IGNORECASE | re.DOTALL)
OPTIONS = re.compile(r"<option\b[^>]*>[^<]*(?:</option\s*>)?", re.IGNORECASE)


class PageParser(HTMLParser):
    """Forms (action, method, fields) and the page's assets (stylesheets, scripts, images, icons)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.assets = []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["fields"].append({"tag": "input", **a, "type": a.get("type", "text").lower()})
        elif tag == "select" and self._form is not None and a.get("name"):
            self._select = {"tag": "select", **a, "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a)
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._textarea = {"tag": "textarea", **a, "value": ""}
            self._form["fields"].append(self._textarea)
        if tag == "link" and a.get("href"):
            if set(a.get("rel", "").lower().split()) & {"stylesheet", "icon", "preload", "modulepreload",
                                                         "apple-touch-icon"}:  # fmt: skip
                self.assets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag in {"img", "source"}:
            if a.get("src"):
                self.assets.append(a["src"])
            elif a.get("srcset"):
                self.assets.append(a["srcset"].split(",")[0].split()[0])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def parse_html(html):
    parser = PageParser()
    parser.feed(html)
    return parser


def find_form(html, field="csrfmiddlewaretoken", options=True):
    """The first POST form with a field named `field`, the cookie banner's form (on every page) aside.

    `options=False` leaves the selects' options out (the country list: most of a petition form)."""
    for fragment in FORMS.findall(html) or [html]:
        if not options:
            fragment = OPTIONS.sub("", fragment)
        for form in parse_html(fragment).forms:
            if form["method"] != "post" or "/cookies/" in form["action"]:
                continue
            if any(f["name"] == field for f in form["fields"]):
                return form
    return None


def post_form(html, field="csrfmiddlewaretoken"):
    """(action, {name: value}) of `find_form`'s form: hidden values kept, other fields empty."""
    form = find_form(html, field, options=False)
    if form is None:
        return None, None
    fields = {
        f["name"]: f.get("value", "") if f.get("type") == "hidden" else ""
        for f in form["fields"]
        if f.get("type") not in {"submit", "checkbox"}
    }
    return form["action"] or None, fields
