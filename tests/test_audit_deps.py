"""`make audit-deps`: pip-audit's PyPI service, reading a project's page where a release's is missing.

PyPI is played by a requests adapter answering from a table, so these tests run offline; what
they check is that pip-audit's own service then finds, skips or passes the pinned release.
"""

import importlib.util
import json
from pathlib import Path

import pytest
import requests
from packaging.version import Version
from pip_audit._service.interface import ResolvedDependency, SkippedDependency

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pip_audit_latest.py"
spec = importlib.util.spec_from_file_location("pip_audit_latest", SCRIPT)
pip_audit_latest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pip_audit_latest)

ADVISORY = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001"],
    "summary": "Remote code execution in the widget parser",
    "fixed_in": ["2.0.1"],
    "withdrawn": None,
}


def page(version, vulnerabilities):
    return {"info": {"name": "widget", "version": version}, "urls": [], "vulnerabilities": vulnerabilities}


class FakePyPI(requests.adapters.BaseAdapter):
    """Answers the URLs in ``pages`` with their JSON and everything else with 404; keeps the URLs asked."""

    def __init__(self, pages):
        super().__init__()
        self.pages = pages
        self.asked = []

    def send(self, request, **kwargs):
        self.asked.append(request.url)
        response = requests.Response()
        response.url = request.url
        response.request = request
        if request.url in self.pages:
            response.status_code = 200
            response._content = json.dumps(self.pages[request.url]).encode()
            response.headers["Content-Type"] = "application/json"
        else:
            response.status_code = 404
            response._content = b"Not Found"
        return response

    def close(self):
        pass


@pytest.fixture
def service(tmp_path):
    def make(pages):
        fake = FakePyPI(pages)
        service = pip_audit_latest.PyPIServiceWithProjectPages(cache_dir=tmp_path, timeout=5)
        # The fake stands where the network would be, under the fallback and pip-audit's own session.
        service.session.get_adapter("https://pypi.org/pypi/").inner = fake
        return service, fake

    return make


def widget(version):
    return ResolvedDependency(name="widget", version=Version(version))


def test_a_pinned_latest_release_is_audited_from_the_project_page(service):
    audit, fake = service({"https://pypi.org/pypi/widget/json": page("2.0.0", [ADVISORY])})

    dependency, results = audit.query(widget("2.0.0"))

    assert dependency == widget("2.0.0")
    assert [result.id for result in results] == ["PYSEC-2099-1"]
    assert results[0].aliases == {"CVE-2099-0001"}
    assert results[0].fix_versions == [Version("2.0.1")]
    assert fake.asked == ["https://pypi.org/pypi/widget/2.0.0/json", "https://pypi.org/pypi/widget/json"]


def test_a_clean_latest_release_has_no_vulnerability(service):
    audit, _ = service({"https://pypi.org/pypi/widget/json": page("2.0.0", [])})

    assert audit.query(widget("2.0.0")) == (widget("2.0.0"), [])


def test_an_older_pin_is_reported_as_not_audited_rather_than_clean(service):
    # The project page's advisories are the latest release's: they say nothing about 1.9.
    audit, _ = service({"https://pypi.org/pypi/widget/json": page("2.0.0", [])})

    dependency, results = audit.query(widget("1.9"))

    assert isinstance(dependency, SkippedDependency)
    assert "could not be audited" in dependency.skip_reason
    assert results == []


def test_the_release_page_is_used_when_pypi_serves_it(service):
    audit, fake = service(
        {
            "https://pypi.org/pypi/widget/1.9/json": page("1.9", [ADVISORY]),
            "https://pypi.org/pypi/widget/json": page("2.0.0", []),
        }
    )

    _, results = audit.query(widget("1.9"))

    assert [result.id for result in results] == ["PYSEC-2099-1"]
    assert fake.asked == ["https://pypi.org/pypi/widget/1.9/json"]


def test_versions_are_compared_as_versions_not_strings(service):
    audit, _ = service({"https://pypi.org/pypi/widget/json": page("2.0", [ADVISORY])})

    _, results = audit.query(widget("2.0.0"))

    assert [result.id for result in results] == ["PYSEC-2099-1"]
