"""Read figures: the ceiling, anonymous pages, junk cookies and parameters, the CSRF patch, page weight."""

import contextlib
import json
import random
import re
import string
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ops import HOST, ROOT
from ops.forms import parse_html
from ops.processes import Gunicorn, free_port, manage
from ops.web import request

from .wrk import LUA_COUNT_STATUS, Unavailable, get_lua, junk_lua

# Goals from issue 6 and issue 11, as ratios to figures measured in the same run.
PAGE_SHARE = 0.50  # anonymous pages: >= 50 % of the ceiling's requests/s
PAGE_P99_MS = 100
# The home page itself; "/" only redirects to the visitor's language.
HOME = "/en/"
JUNK_SHARE = 0.80  # junk cookies and parameters: >= 80 % of clean home's requests/s
PAGE_WEIGHT_KB = 100

# (label, path, the query parameter or the cookie given a fresh random value on each request)
JUNK = [
    ("home, junk sessionid cookie", "/en/", None, "sessionid"),
    ("home, junk messages cookie", "/en/", None, "messages"),
    ("home ?ref=<random>", "/en/", "ref", None),
    ("petition ?ref=<random>", "{petition}", "ref", None),
    ("news ?page=<random>", "/en/news/", "page", None),
    ("coalition ?country=<random>", "/en/coalition/", "country", None),
    ("coalition ?kind=<random>", "/en/coalition/", "kind", None),
    ("coalition ?page=<random>", "/en/coalition/", "page", None),
    ("testimonies ?topic=<random>", "/en/testimonies/", "topic", None),
    ("testimonies ?page=<random>", "/en/testimonies/", "page", None),
]


def ceiling(b):
    results = {}
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    paths = json.loads(manifest.read_text())["paths"] if manifest.exists() else {}
    candidates = [
        (abs((ROOT / "staticfiles" / hashed).stat().st_size - 30_000), name, hashed)
        for name, hashed in paths.items()
        if (ROOT / "staticfiles" / hashed).exists() and not name.endswith((".map", ".gz", ".br"))
    ]
    static = min(candidates)[2] if candidates else None
    for label, path in [
        ("robots.txt", "/robots.txt"),
        ("static", f"/static/{static}" if static else None),
    ]:
        name = f"1. ceiling: {label if label != 'static' else 'static ' + Path(static or '').name}"
        try:
            if path is None:
                raise Unavailable("no collected static file")
            b.check_get(path)
            b.warm(path)
            data = b.wrk.measure(path, LUA_COUNT_STATUS)
            results[label] = data
            b.row(name, b.get_figure(data), "(reference)")
        except Unavailable as exc:
            b.na(name, exc)
    b.results["measurements"]["ceiling"] = results
    rates = [d["rps"] for d in results.values()]
    if not rates:
        raise RuntimeError("no ceiling: the site does not answer /robots.txt")
    b.ceiling_rps = max(rates)
    b.row("   ceiling used for the ratios", f"{b.ceiling_rps:.0f} req/s", "(the higher of the two)")


def returning_cookies(b):
    """The site's own cookies: a CSRF cookie it set and a cookie choice."""
    token = None
    for path in (b.data["petition_path"], HOME, "/en/cookies/"):
        with contextlib.suppress(OSError):
            token = request(b.port, "GET", path).cookies().get("csrftoken") or token
        if token:
            break
    origin = "from the site"
    if not token:
        token = "".join(random.choices(string.ascii_letters + string.digits, k=32))
        origin = "made up: no page set one yet"
    b.results["returning_visitor_csrf_cookie"] = origin
    return {"Cookie": f"csrftoken={token}; cookie_consent=declined"}


def pages(b):
    petition = b.data["petition_path"]
    korean_petition = petition.replace("/en/", "/ko/", 1) if petition else None
    pages = [("home", HOME), ("coalition", "/en/coalition/"), ("testimony", b.data["testimony_path"]),
             ("petition", petition),
             # The same pages in Korean, beside the English ones (issue 13): the same cache, the same ceiling.
             ("home, Korean", "/ko/"), ("petition, Korean", korean_petition)]  # fmt: skip
    returning = returning_cookies(b)
    results = {}
    for visitor, headers in [("new", None), ("returning", returning)]:
        for label, path in pages:
            name = f"2. {label} ({visitor} visitor)"
            try:
                if not path:
                    raise Unavailable("no such page in the data")
                response = b.check_get(path, headers)
                b.warm(path, headers)
                data = b.wrk.measure(path, get_lua(headers) + LUA_COUNT_STATUS)
                data["page_cache"] = response.header("X-Page-Cache")
                results[f"{label}/{visitor}"] = data
                share = data["rps"] / b.ceiling_rps
                ok = share >= PAGE_SHARE and data["p99_ms"] < PAGE_P99_MS and data["errors"] == 0
                b.row(name, f"{b.get_figure(data)} = {share:.0%}",
                         f">= {PAGE_SHARE:.0%}, p99 < {PAGE_P99_MS} ms", ok)  # fmt: skip
            except Unavailable as exc:
                b.na(name, exc)
    b.results["measurements"]["pages"] = results


def page_weight(b):
    name = "6. first visit to / with brotli"
    try:
        headers = {"Accept-Encoding": "br"}
        html = b.check_get(HOME, headers)
        # Parse an uncompressed copy (the standard library has no brotli).
        parsed = parse_html(b.check_get(HOME).text)
        items = [(HOME, len(html.body), html.header("Content-Encoding") or "identity")]
        seen = set()
        queue = [urljoin(HOME, u) for u in parsed.assets]
        while queue:
            url = queue.pop(0)
            if url in seen or urlsplit(url).netloc not in {"", f"{HOST}:{b.port}"} or url.startswith("data:"):
                continue
            seen.add(url)
            path = urlsplit(url).path
            response = request(b.port, "GET", path, headers=headers)
            items.append((path, len(response.body), response.header("Content-Encoding") or "identity"))
            if path.endswith(".css") and response.status == 200:
                css = request(b.port, "GET", path).body.decode("utf-8", "replace")
                for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css):
                    if not ref.startswith("data:"):
                        queue.append(urljoin(path, ref.split("#")[0].split("?")[0]))
        total = sum(size for _, size, _ in items)
        b.results["measurements"]["page_weight"] = {"total_bytes": total, "items": items}
        html_note = "" if html.header("Content-Encoding") else " (HTML uncompressed by Django)"
        b.row(name, f"{total / 1024:.1f} KB in {len(items)} responses{html_note}",
                 f"<= {PAGE_WEIGHT_KB} KB", total <= PAGE_WEIGHT_KB * 1024)  # fmt: skip
        for path, size, encoding in items:
            print(f"      {size / 1024:7.1f} KB  {encoding:<8} {path}")
    except Unavailable as exc:
        b.na(name, exc)


def statuses(data):
    """Which answers the requests got, e.g. '2xx' or '3xx 40%, 4xx 60%'."""
    counts = {f"{k}xx": data.get(f"n{k}xx", 0) for k in (2, 3, 4, 5)}
    total = sum(counts.values())
    if not total:
        return "no answers counted"
    shares = [(name, n / total) for name, n in counts.items() if n]
    return ", ".join(name if share == 1 else f"{name} {share:.0%}" for name, share in shares)


def clean_home(b):
    """New-visitor home, measured now: the yardstick of the junk figures."""
    b.check_get(HOME)
    b.warm(HOME)
    data = b.wrk.measure(HOME, LUA_COUNT_STATUS)
    b.row("7. home, clean (new visitor)", b.get_figure(data), "(reference for 7.)")
    return data


def junk(b):
    """Issue 11, item 6: junk cookies and parameter values must not bypass or flood the page cache.

    Each junk figure is compared with the same page without junk, measured just
    before it by the same Lua script (the issue names home; for the other pages
    home's rate is out of reach whatever the cache does, since they are larger).
    """
    results = {}
    try:
        results["clean home"] = clean_home(b)
    except Unavailable as exc:
        return b.na("7. home, clean (new visitor)", exc)
    for label, path, param, cookie in JUNK:
        name = f"7. {label}"
        try:
            path = path.format(petition=b.data["petition_path"])
            b.warm(path)
            # Measured right before its junk twin: on a shared machine the rate drifts within minutes.
            clean = b.wrk.measure(path, junk_lua(path) + LUA_COUNT_STATUS)
            data = b.wrk.measure(path, junk_lua(path, param=param, cookie=cookie) + LUA_COUNT_STATUS)
            ratio = data["rps"] / clean["rps"] if clean["rps"] else 0
            data.update(ratio_to_clean_page=ratio, clean_rps=clean["rps"])
            results[label] = data
            b.row(name, f"{b.get_figure(data)} = {ratio:.0%} of the clean page's {clean['rps']:.0f} req/s "
                  f"({statuses(data)})", f">= {JUNK_SHARE:.0%} of the clean page", ratio >= JUNK_SHARE)  # fmt: skip
        except Unavailable as exc:
            b.na(name, exc)
    b.results["measurements"]["junk"] = results


# A new-visitor page costs Django's CSRF secret and its mask; campaign/caching.py draws them from one
# os.urandom call. PAGE_CACHE_CSRF_PATCH=0 switches that off (issue 12: under 5 %, remove it).
CSRF_PATCH_OFF = {"PAGE_CACHE_CSRF_PATCH": "0"}
CSRF_PATCH_PROBE = (
    "from django.middleware import csrf; "
    "print(getattr(csrf.get_random_string, '__module__', '?') == 'django.utils.crypto')"
)


def csrf_patch(b):
    """New-visitor home with and without the CSRF-randomness patch: two servers, measured in turn."""
    name = "8. CSRF randomness patch: home (new visitor)"
    off_env = b.env | CSRF_PATCH_OFF
    # The last line: Django's shell first says how many objects it imported.
    probe = manage("shell", "-c", CSRF_PATCH_PROBE, env=off_env, check=False).stdout.strip().splitlines()
    honoured = probe[-1:] == ["True"]
    port = free_port()
    try:
        unpatched = Gunicorn(port=port, env=off_env | {"SITE_URL": f"http://{HOST}:{port}"},
                             logfile=b.gunicorn.logfile, options=b.gunicorn_options)  # fmt: skip
    except RuntimeError as exc:
        return b.na(name, exc)
    runs = {"on": [], "off": []}
    servers = {"on": b.wrk, "off": b.wrk.on_port(port)}
    try:
        # A fresh server's first seconds are slower (its workers' imports, templates and page copies):
        # two seconds of load on each, not counted, before the A B B A runs (drift cancels out).
        for wrk in servers.values():
            wrk.measure(HOME, LUA_COUNT_STATUS, duration=2)
        for patch in ("on", "off", "off", "on"):
            runs[patch].append(servers[patch].measure(HOME, LUA_COUNT_STATUS))
    except Unavailable as exc:
        return b.na(name, exc)
    finally:
        unpatched.stop()
    rps = {patch: sum(d["rps"] for d in data) / len(data) for patch, data in runs.items()}
    gain = rps["on"] / rps["off"] - 1 if rps["off"] else 0
    b.results["measurements"]["csrf_patch"] = {
        "runs": runs,
        "rps": rps,
        "gain": gain,
        "switch_honoured": honoured,
    }
    note = "" if honoured else "; PAGE_CACHE_CSRF_PATCH=0 not honoured yet: both servers patched"
    b.row(name, f"patched {rps['on']:.0f} req/s, unpatched {rps['off']:.0f} req/s = {gain:+.1%}{note}",
          "(reported; keep it only if >= +5 %)")  # fmt: skip
