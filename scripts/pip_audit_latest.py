"""pip-audit, with PyPI's advisories read from a project's page when its release page is missing.

pip-audit's PyPI service asks ``/pypi/<name>/<version>/json`` for the advisories of each pinned
release. Where that endpoint is not served (the machines this project is built on answer 404 for
every release) the project's own ``/pypi/<name>/json`` still carries the same ``vulnerabilities``
list, for the project's latest release. So when a release page is missing and the pinned version is
the latest release, that answer is the release's own; when the pin is older, the 404 stands and
pip-audit reports the package as not audited. Everything else (resolving the requirements, reading
the advisories, the report, the exit code) is pip-audit's own.

Usage: the same arguments as ``pip-audit``; ``make audit-deps`` runs it on ``requirements.txt``.
"""

import re
import sys

import requests
from packaging.version import InvalidVersion, Version
from pip_audit import _cli
from pip_audit._service.pypi import PyPIService

RELEASE_PAGE = re.compile(r"https://pypi\.org/pypi/(?P<name>[^/]+)/(?P<version>[^/]+)/json")


def same_version(a, b):
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


class LatestReleaseFallback(requests.adapters.BaseAdapter):
    """Sends through ``inner``; a release page's 404 is answered by its project page when that
    project's latest release is the version asked for."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def send(self, request, **kwargs):
        response = self.inner.send(request, **kwargs)
        match = RELEASE_PAGE.fullmatch(request.url)
        if response.status_code != 404 or match is None:
            return response
        project_request = request.copy()
        project_request.prepare_url(f"https://pypi.org/pypi/{match['name']}/json", None)
        project = self.inner.send(project_request, **kwargs)
        if project.status_code != 200:
            return response
        try:
            latest = project.json()["info"]["version"]
        except (ValueError, KeyError, TypeError):
            return response
        return project if same_version(latest, match["version"]) else response

    def close(self):
        self.inner.close()


class PyPIServiceWithProjectPages(PyPIService):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        inner = self.session.get_adapter("https://pypi.org/pypi/")
        self.session.mount("https://pypi.org/pypi/", LatestReleaseFallback(inner))


def main():
    _cli.PyPIService = PyPIServiceWithProjectPages
    sys.argv[0] = "pip-audit"
    _cli.audit()


if __name__ == "__main__":
    main()
