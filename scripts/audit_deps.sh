#!/usr/bin/env bash
# `make audit-deps`: known vulnerabilities in the pinned requirements (runtime and development),
# with pip-audit and PyPI's advisory data (scripts/pip_audit_latest.py: pip-audit, reading a
# project's page where the release's own page is not served). Fails on any known vulnerability and
# when PyPI cannot be reached; names any package it could not audit.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(.venv/bin/python scripts/pip_audit_latest.py -r requirements.txt -r requirements-dev.txt --progress-spinner off \
  --vulnerability-service pypi 2>&1)
rc=$?
echo "$out"
if grep -q "could not be audited" <<<"$out"; then
  echo "NOTE: the packages listed above were not audited: PyPI here serves advisories only for a"
  echo "  project's latest release, and these pins are older. Update them, or audit where PyPI's"
  echo "  per-release pages or OSV can be reached (pip-audit -s osv)."
fi
exit $rc
