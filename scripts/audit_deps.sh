#!/usr/bin/env bash
# `make audit-deps`: known vulnerabilities in the pinned runtime requirements (pip-audit).
# Fails on any known vulnerability. When neither PyPI's advisory data nor OSV can be
# reached (an offline build machine), says so loudly and exits 0: no audit took place.
set -uo pipefail
cd "$(dirname "$0")/.."
reachable() {  # $1: a URL pip-audit's service answers with JSON
  .venv/bin/python - "$1" <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=15) as response:
        json.load(response)
except Exception:
    sys.exit(1)
PY
}
# PyPI must know the pinned version itself (pip-audit asks /pypi/<name>/<version>/json).
django_pin=$(grep -i '^django==' requirements.txt | cut -d= -f3)
declare -A probe=(
  [pypi]="https://pypi.org/pypi/Django/${django_pin}/json"
  [osv]="https://api.osv.dev/v1/vulns/PYSEC-2024-47"
)
for service in pypi osv; do
  if ! reachable "${probe[$service]}"; then
    echo "pip-audit: the $service advisory service cannot be reached from here, or has no record of the pinned"
    echo "  versions (probe: ${probe[$service]})."
    continue
  fi
  out=$(.venv/bin/pip-audit -r requirements.txt --progress-spinner off --vulnerability-service "$service" 2>&1)
  rc=$?
  echo "$out"
  grep -q "could not be audited" <<<"$out" && echo "NOTE: the packages listed above were not audited."
  exit $rc
done
echo "WARNING: neither PyPI nor OSV could give advisory data for the pinned versions; the requirements were"
echo "NOT audited for known vulnerabilities."
exit 0
