#!/usr/bin/env bash
# Paired, interleaved page reads of two commits, for "before and after" figures on a busy machine.
#
#   scripts/bench_pair.sh REV_A REV_B [ROUNDS]
#
# Each commit is checked out in its own worktree under var/pair/, migrated into its own database on the
# local PostgreSQL (.ci/postgres), loaded with the fixtures and 1,000 signatures, and served by gunicorn
# (2 sync workers, production settings) on 127.0.0.1. Then, ROUNDS times (default 30), every path is read
# for 1 s with wrk on one server and then on the other, the order swapped each round, so both commits see
# the same load from whatever else runs on the machine. It prints each pair's ratio B/A and the median and
# quartiles per path. Everything it starts ends with it. Needs root (runuser postgres), wrk and git.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
a=$(git rev-parse --short "$1"); b=$(git rev-parse --short "$2"); rounds=${3:-30}
bash .ci/postgres > /dev/null
declare -A port=([$a]=8181 [$b]=8182)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
site_env() {
  echo DEBUG=0 SECRET_KEY="pair-$(printf %064d 0)" IP_HASH_KEY="pair-ip-$(printf %032d 0)" \
    ALLOWED_HOSTS=127.0.0.1 SITE_URL="http://127.0.0.1:${port[$1]}" \
    DATABASE_URL="postgres://campaign:campaign@127.0.0.1:5432/pair_$1" CACHE_URL=db://django_cache \
    TASKS_BACKEND=database SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
    SECURE_HSTS_SECONDS=0 PETITION_RATE_LIMITS=0 LOG_LEVEL=WARNING EMAIL_URL=console://
}
for rev in "$a" "$b"; do
  tree="$root/var/pair/$rev"
  [ -d "$tree" ] || git worktree add -q --detach "$tree" "$rev"
  ln -sfn "$root/.venv" "$tree/.venv"
  runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS pair_$rev" -c "CREATE DATABASE pair_$rev OWNER campaign"
  (cd "$tree" && for cmd in "migrate -v0" "createcachetable" "load_content -v0" "collectstatic --noinput -v0" \
      "generate_bench_data --signatures 1000 -v0"; do env $(site_env "$rev") .venv/bin/python manage.py $cmd; done)
  (cd "$tree" && exec env $(site_env "$rev") timeout 3600 .venv/bin/gunicorn campaign.wsgi --no-control-socket \
      --bind "127.0.0.1:${port[$rev]}" --workers 2 --log-level warning) > "$root/var/pair/$rev.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "http://127.0.0.1:${port[$a]}/healthz" && curl -fs -o /dev/null "http://127.0.0.1:${port[$b]}/healthz" && break
  sleep 1
done
home=$(curl -fsL -o /dev/null -w '%{url_effective}' "http://127.0.0.1:${port[$b]}/" | sed 's|http://[^/]*||')
petition=$(curl -fsL "http://127.0.0.1:${port[$b]}/" | grep -o 'href="[^"]*/petitions/[a-z0-9-]*/"' | head -1 | cut -d'"' -f2)
testimony=$(curl -fsL "http://127.0.0.1:${port[$b]}/testimonies/" | grep -o 'href="[^"]*/testimonies/[a-z0-9-]*/"' | head -1 | cut -d'"' -f2)
paths="/robots.txt $home ${home%/}/coalition/ $testimony $petition"
for path in $paths; do for rev in "$a" "$b"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port[$rev]}$path")
  [ "$code" = 200 ] || { echo "$rev $path answered $code: pick paths both commits serve"; exit 1; }
done; done
log=$root/var/pair/$a-$b.txt; : > "$log"
for round in $(seq 1 "$rounds"); do
  order="$a $b"; [ $((round % 2)) = 0 ] && order="$b $a"
  for path in $paths; do for rev in $order; do
    rps=$(wrk -t2 -c32 -d1s "http://127.0.0.1:${port[$rev]}$path" | awk '/Requests\/sec/ {print $2}')
    echo "$round $rev $path $rps $(cut -d' ' -f1 /proc/loadavg)" >> "$log"
  done; done
done
python3 - "$log" "$a" "$b" <<'PY'
import collections, statistics, sys
log, a, b = sys.argv[1:]
rows = collections.defaultdict(dict); loads = []
for line in open(log):
    rnd, rev, path, rps, load = line.split()
    rows[(path, rnd)][rev] = float(rps); loads.append(float(load))
by_path = collections.defaultdict(list)
for (path, _), pair in rows.items():
    if pair.get(a) and pair.get(b):
        by_path[path].append((pair[a], pair[b]))
print(f"load average {min(loads):.1f}-{max(loads):.1f}; {b} / {a}, requests/s, 1 s samples in alternation")
for path, pairs in by_path.items():
    ratios = [y / x for x, y in pairs]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    print(f"{path:48} {a} {statistics.median(x for x, _ in pairs):6.0f}  {b} {statistics.median(y for _, y in pairs):6.0f}"
          f"  ratio median {statistics.median(ratios):.2f} (quartiles {q1:.2f}-{q3:.2f}, n={len(ratios)})")
PY
