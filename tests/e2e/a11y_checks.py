"""The checks behind tests/e2e/test_accessibility.py, each returning findings as readable lines.

A finding is a string; a page passes when no check returns one. The page scripts run through Playwright's
``evaluate`` (never a <script> tag), so the site's Content Security Policy stays as it is.
"""

import json
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

NODE_MODULES = Path(settings.BASE_DIR) / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 360)
HEIGHT = 800
MIN_TARGET = 24  # CSS pixels, WCAG 2.2 SC 2.5.8 Target Size (Minimum)
MAX_TABS = 80

# The petition form: the POST form in <main> that asks for an email address.
PETITION_FORM = "main form[method=post i]:has(input[name=email])"


class NotBuiltYet(Exception):
    """The page (or what opens it) does not exist on this branch yet: the test is skipped with this reason."""


@dataclass(frozen=True)
class Page:
    """A public page: where it is (a path, or a function of the site content) and how to reach it.

    ``action`` is how the browser gets there: "get"; "submit-empty" (the petition form sent empty, with the
    browser's own validation off, to show the server's errors); "submit-without-csrf" (the petition form
    sent without its CSRF token); "sign" (the petition form filled in and sent).
    """

    id: str
    path: object  # str, or a callable taking the site content and returning a path
    action: str = "get"
    status: tuple = (200,)

    def resolve(self, site):
        return self.path(site) if callable(self.path) else self.path


# Opening pages ----------------------------------------------------------------


def open_page(page, spec, path):
    """Bring ``page`` to ``spec`` at ``path`` (``spec.resolve(site)``, called once per test: it may create
    a signature) and return the navigation response (its status and HTML source)."""
    response = page.goto(path)
    if spec.action == "get":
        return response
    form = page.locator(PETITION_FORM)
    if form.count() == 0:
        raise NotBuiltYet(f"no petition form ({PETITION_FORM}) on {path} yet")
    form.evaluate("form => { form.noValidate = true; }")
    if spec.action == "submit-without-csrf":
        form.evaluate("form => form.querySelectorAll('[name=csrfmiddlewaretoken]').forEach(e => e.remove())")
    elif spec.action == "sign":
        fill_petition_form(form, unique_email())
    elif spec.action != "submit-empty":
        raise ValueError(f"unknown action {spec.action!r}")
    with page.expect_navigation() as navigation:
        submit_button(form).click()
    return navigation.value


def unique_email():
    return f"signer-{uuid.uuid4().hex[:10]}@example.org"


def submit_button(form):
    return form.locator("button[type=submit], button:not([type]), input[type=submit]").last


def fill_petition_form(form, email):
    """Fill what a signer must: the required fields and the email (never the honeypot)."""
    fields = form.locator("input:not([type=hidden]):not([type=submit]), select, textarea")
    for index in range(fields.count()):
        field = fields.nth(index)
        kind = (field.get_attribute("type") or field.evaluate("e => e.tagName")).lower()
        required = field.get_attribute("required") is not None
        if kind == "email":
            field.fill(email)
        elif not required:
            continue
        elif kind == "checkbox":
            field.check()
        elif kind == "select":
            values = [v for v in field.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
            field.select_option(values[0])
        else:
            field.fill("Test Signer")


# Checks in the page -------------------------------------------------------------

_DESCRIBE = """
const describe = (el) => {
  if (!el || !el.tagName) return String(el);
  let text = el.tagName.toLowerCase();
  if (el.id) text += '#' + el.id;
  else if (el.classList.length) text += '.' + [...el.classList].slice(0, 2).join('.');
  if (el.getAttribute('name')) text += `[name=${el.getAttribute('name')}]`;
  const label = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
  if (label) text += ` "${label.slice(0, 40)}"`;
  return text;
};
"""

AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))
  }));
}"""

# Horizontal scrolling, and anything sticking out to the right that is not inside a scroll container.
REFLOW = (
    "() => {"
    + _DESCRIBE
    + """
  const width = window.innerWidth;
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const wide = (el) => {
    const rect = el.getBoundingClientRect();
    return rect.width > 1 && rect.height > 1 && rect.right > width + 1 &&
      getComputedStyle(el).visibility !== 'hidden' && !scrolls(el);
  };
  const cut = [], causes = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!wide(el)) continue;
    const right = Math.round(el.getBoundingClientRect().right);
    // The outermost box that sticks out is where the sideways scrolling starts.
    if (el.parentElement && !wide(el.parentElement)) causes.push(`${describe(el)} reaches ${right}px`);
    const hasText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (hasText || el.matches('a, button, input, select, textarea, img, svg, summary')) {
      cut.push(`${describe(el)} reaches ${right}px`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
          cut: cut.slice(0, 8), causes: causes.slice(0, 5)};
}"""
)

# WCAG 2.2 SC 2.5.8: each target is at least 24x24, or a 24 px circle on its centre meets no other target
# (nor the circle of another small target). Links inside the text of a <p> or <li> are excepted ("inline").
TARGETS = (
    "(minimum) => {"
    + _DESCRIBE
    + """
  const shown = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    if (el.closest('[aria-hidden=true], [inert]')) return false;
    const r = el.getBoundingClientRect();
    // 1 px boxes are visually hidden (Bootstrap's .visually-hidden); boxes left or above the page are
    // moved out of sight on purpose (the skip link before it has focus).
    return r.width > 1 && r.height > 1 && r.right + scrollX > 0 && r.bottom + scrollY > 0;
  };
  const inline = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.closest('p, li');
    if (!block) return false;
    // Other words in the same paragraph or list item: the link sits in a line of text.
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    let other = '';
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.closest('a, button')) other += node.textContent;
    }
    return other.trim().length > 0;
  };
  const targets = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary')]
    .filter(shown).filter(el => !inline(el))
    .map(el => {
      const r = el.getBoundingClientRect();
      return {el, r, cx: r.left + r.width / 2, cy: r.top + r.height / 2,
              small: r.width < minimum - 0.5 || r.height < minimum - 0.5};
    });
  const distanceToRect = (x, y, r) => Math.hypot(
    Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const found = [];
  for (const t of targets.filter(t => t.small)) {
    const clash = targets.find(o => o !== t && !o.el.contains(t.el) && !t.el.contains(o.el) && (
      o.small ? Math.hypot(o.cx - t.cx, o.cy - t.cy) < minimum : distanceToRect(t.cx, t.cy, o.r) < minimum / 2));
    if (clash) {
      found.push(`${describe(t.el)} is ${Math.round(t.r.width)}x${Math.round(t.r.height)}px ` +
                 `and too close to ${describe(clash.el)}`);
    }
  }
  return found;
}"""
)

FOCUS_SNAPSHOT = """() => {
  const look = (el) => { const s = getComputedStyle(el);
    return {outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, shadow: s.boxShadow}; };
  window.__unfocused = new Map();
  for (const el of document.querySelectorAll('*')) window.__unfocused.set(el, look(el));
  window.__lastFocus = null;
  return [...document.querySelectorAll('[tabindex]')].filter(el => el.tabIndex > 0).length;
}"""

FOCUS_STEP = (
    "() => {"
    + _DESCRIBE
    + """
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const s = getComputedStyle(el);
  const before = window.__unfocused.get(el) || {outline: '', shadow: 'none'};
  const outline = `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
  const hasOutline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const visible = (hasOutline && outline !== before.outline) || (s.boxShadow !== 'none' && s.boxShadow !== before.shadow);
  const r = el.getBoundingClientRect();
  // Obscured: every probe point (the centre and the inner corners) lands on an unrelated element.
  const points = [[r.left + r.width / 2, r.top + r.height / 2], [r.left + 1, r.top + 1], [r.right - 1, r.top + 1],
                  [r.left + 1, r.bottom - 1], [r.right - 1, r.bottom - 1]]
    .filter(([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight);
  const hits = points.map(([x, y]) => document.elementFromPoint(x, y));
  const cover = hits.find(h => h && h !== el && !el.contains(h) && !h.contains(el));
  const obscured = points.length > 0 && hits.every(h => h && h !== el && !el.contains(h) && !h.contains(el));
  const previous = window.__lastFocus;
  const backwards = previous && previous !== el &&
    !!(previous.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING);
  window.__lastFocus = el;
  return {
    key: describe(el) + '@' + Math.round(r.left) + ',' + Math.round(r.top),
    description: describe(el),
    // In any language: a same-page link to the main content (or, in English, one that says "skip").
    isSkipLink: el.matches('a[href^="#"]') && !!document.getElementById(el.getAttribute('href').slice(1)) &&
      (/skip/i.test(el.textContent) || document.getElementById(el.getAttribute('href').slice(1)).tagName === 'MAIN'),
    visible,
    // Focus on something the reader cannot see: a honeypot, a visually hidden or off-screen element.
    unseen: r.width < 4 || r.height < 4 || s.clip === 'rect(0px, 0px, 0px, 0px)' || s.clipPath === 'inset(50%)' ||
      parseFloat(s.opacity) === 0 || r.right <= 0 || r.bottom <= 0 || r.left >= innerWidth,
    obscuredBy: obscured ? describe(cover) : null,
    backwardsFrom: backwards ? describe(previous) : null,
  };
}"""
)

READING = """() => {
  const main = document.querySelector('main');
  return {
    mainText: main ? main.innerText.replace(/\\s+/g, ' ').trim() : '',
    headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => h.textContent.replace(/\\s+/g, ' ').trim()),
  };
}"""


def axe_findings(page, axe_source, label, seen=None):
    """axe-core's violations; ``seen`` (a set shared between widths) drops those already reported."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    seen = set() if seen is None else seen
    findings = []
    for violation in page.evaluate(AXE_RUN, AXE_TAGS):
        nodes = [node for node in violation["nodes"] if (violation["id"], node["target"]) not in seen]
        if not nodes:
            continue
        seen.update((violation["id"], node["target"]) for node in nodes)
        findings.append(f"axe {label}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in nodes[:5]:
            summary = " ".join(node["summary"].split())[:300]
            findings.append(f"    at {node['target']}: {summary}")
        if len(nodes) > 5:
            findings.append(f"    … and {len(nodes) - 5} more elements")
    return findings


def layout_findings(page, label):
    findings = []
    reflow = page.evaluate(REFLOW)
    if reflow["scrollWidth"] > reflow["innerWidth"]:
        findings.append(
            f"reflow {label}: the page scrolls sideways (scrollWidth {reflow['scrollWidth']}px "
            f"> {reflow['innerWidth']}px); it starts at: {'; '.join(reflow['causes']) or 'unknown'}"
        )
    findings += [f"reflow {label}: cut off or overflowing: {item}" for item in reflow["cut"]]
    findings += [f"target size {label}: {item}" for item in page.evaluate(TARGETS, MIN_TARGET)]
    return findings


def keyboard_findings(page):
    """Tab from the top of the page through every focusable element."""
    findings = []
    positive = page.evaluate(FOCUS_SNAPSHOT)
    if positive:
        findings.append(f"keyboard: {positive} element(s) with a positive tabindex change the reading order")
    seen = set()
    for step in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STEP)
        if focus is None or focus["key"] in seen:
            break
        seen.add(focus["key"])
        where = focus["description"]
        if step == 0 and not focus["isSkipLink"]:
            findings.append(f"keyboard: the first Tab reaches {where}, not a skip link to the main content")
        if focus["unseen"]:
            findings.append(f"keyboard: focus lands on an element out of sight: {where}")
        elif not focus["visible"]:
            findings.append(f"keyboard: no visible focus (outline or box-shadow) on {where}")
        if focus["obscuredBy"]:
            findings.append(f"keyboard: focused {where} is hidden behind {focus['obscuredBy']}")
        if focus["backwardsFrom"]:
            findings.append(f"keyboard: focus jumps back from {focus['backwardsFrom']} to {where}")
    if not seen:
        findings.append("keyboard: Tab reaches nothing on the page")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    return findings


def reading(page):
    return page.evaluate(READING)


# The Nu HTML Checker ------------------------------------------------------------


def run_vnu(documents, directory):
    """Check {name: html} in one run of the Nu HTML Checker; return {name: [error lines]}."""
    if not documents:
        return {}
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        raise NotBuiltYet("java or node_modules/vnu-jar is missing (run `make node_modules`)")
    files = {}
    for name, html in documents.items():
        file = Path(directory) / f"{name}.html"
        file.write_text(html, encoding="utf-8")
        files[file.resolve().as_uri()] = name
    completed = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--exit-zero-always", "--stdout"]
        + [str(Path(directory) / f"{name}.html") for name in documents],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    report = json.loads(completed.stdout or "{}")
    errors = {name: [] for name in documents}
    for message in report.get("messages", []):
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        name = files.get(message.get("url"), _name_from_url(message.get("url", ""), documents))
        extract = " ".join((message.get("extract") or "").split())[:120]
        errors[name].append(f"line {message.get('lastLine', '?')}: {message['message']}  [{extract}]")
    return errors


def _name_from_url(url, documents):
    match = re.search(r"/([^/]+)\.html$", url)
    return match.group(1) if match and match.group(1) in documents else next(iter(documents))
