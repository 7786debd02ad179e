#!/usr/bin/env bash
# Build-time benchmark through the local platform runner.
#
#   bench/bench.sh [APP ...]        (default: every app under bench/apps/)
#
# For each app it times, RUNS times (default 5), and prints the median of:
#   fresh    a build with an empty cache and no previous image
#   no-op    a rebuild with nothing changed
#   changed  a rebuild after one pinned requirement changed (bench/apps/<app>/change.sh)
# (an app's bench.env adds NAME=value lines to its builds' env: pip-uv is the pip app installed
# with BP_PYTHON_INSTALLER=uv)
# and, for the fresh build, where its time goes (from when each output line arrived) and how big
# the app image's layers are:
#   runtime  from the start of the build until Python is installed
#   tools    from then until the package manager's own install command starts (venv, the tool)
#   deps     from then until the buildpack is done (the package manager's run, collectstatic)
# and, for the apps with the Django stack, how long the launched app takes to import it:
#   cold     the image as the build exported it, as a new container sees it: run by the launch
#            user, bytecode writes off (what Python cannot use, it compiles again at every start)
#   warm     the same import once every module has a freshly compiled file (a PYTHONPYCACHEPREFIX
#            of its own, filled by a first run): the best the image could do
#
# CPython comes from $PYTHON_BUILDPACK_SHARED_DIR/python-runtimes (served on 127.0.0.1) when that
# is set, else from the real python-build-standalone downloads. SSL_CERT_FILE, PIP_CERT and
# REQUESTS_CA_BUNDLE are passed to the builds when set.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}

cargo build --quiet --release -p python-buildpack-runner
runner=target/release/cnb-runner

env_args=()
for name in SSL_CERT_FILE PIP_CERT REQUESTS_CA_BUNDLE; do
  [ -n "${!name:-}" ] && env_args+=(--env "$name=${!name}")
done
server_pid=
if [ -n "${PYTHON_BUILDPACK_SHARED_DIR:-}" ]; then
  port=$((20000 + RANDOM % 20000))
  python3 -m http.server "$port" --bind 127.0.0.1 -d "$PYTHON_BUILDPACK_SHARED_DIR/python-runtimes" >/dev/null 2>&1 &
  server_pid=$!
  sleep 1
  env_args+=(--env "BP_PYTHON_RUNTIME_MANIFEST=http://127.0.0.1:$port/runtimes.jsonl")
fi
work=$(mktemp -d)
# As root the runner builds as a build user and launches as a launch user: they must reach the
# state directories inside.
chmod 755 "$work"
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Package the buildpack once, outside the timings.
"$runner" build --buildpack . --release --state-dir "$work/warmup" "${env_args[@]}" bench/apps/pip >/dev/null 2>&1 || true

# Prefixes every line with the seconds since the command started, when the line arrives.
stamp() { python3 -u -c '
import sys, time
start = time.monotonic()
for line in sys.stdin.buffer:
    sys.stdout.buffer.write(b"%.3f\t" % (time.monotonic() - start) + line)
'; }

time_build() { # state_dir app_dir -> "total buildpack runtime tools deps image_mib runner packaging"
  local start end total own phases app_env=()
  # An app's own build env (bench.env: NAME=value lines, # comments).
  if [ -f "$2/bench.env" ]; then
    while IFS= read -r line; do
      case "$line" in ''|'#'*) ;; *) app_env+=(--env "$line") ;; esac
    done <"$2/bench.env"
  fi
  start=$(date +%s.%N)
  if ! "$runner" build --buildpack . --release --state-dir "$1" "${env_args[@]}" "${app_env[@]}" "$2" 2>&1 | stamp >"$work/last.log"; then
    echo "build failed, see output:" >&2; cat "$work/last.log" >&2; exit 1
  fi
  end=$(date +%s.%N)
  total=$(awk "BEGIN { print $end - $start }")
  # Phases, from the arrival times of: the start of the build, the line that ends when Python is
  # installed (or reused), the line that starts the package manager's install, the closing line.
  phases=$(sed 's/\x1b\[[0-9;]*m//g' "$work/last.log" | awk -F '\t' '
    /===> BUILDING/ && !b { b = $1 }
    /(Installed|Downloading and installing|Reusing cached) Python / && !p { p = $1 }
    /Running `(pip install|uv pip install|uv sync|poetry sync|poetry install|pipenv install|pipenv sync)/ && !m { m = $1 }
    /Done \(finished in/ { d = $1 }
    END { if (!m) m = p; printf "%.2f %.2f %.2f", p - b, m - p, d - m }')
  # The buildpack's own time, from its closing "- Done (finished in ...)" line ("< 0.1s" counts
  # as 0.1; "1m 5s" as 65).
  own=$(sed 's/\x1b\[[0-9;]*m//g' "$work/last.log" | grep -o 'Done (finished in [^)]*)' | tail -n 1 |
    sed -e 's/Done (finished in //' -e 's/)//' -e 's/< //' |
    awk '{ s = 0; for (i = 1; i <= NF; i++) { v = $i; if (v ~ /m$/) { sub(/m$/, "", v); s += v * 60 } else { sub(/s$/, "", v); s += v } } print s }')
  # The app image's layers (what every node pulls), in MiB: image/layers/<bp>/<layer> are
  # symlinks to the layers' directories.
  image_mib=$(du -scmL "$1"/image/layers/*/*/ | tail -n 1 | awk '{ print $1 }')
  # The runner's own time outside bin/detect and bin/build, and its packaging check, from its
  # closing line ("... runner 0.07 s, packaging 0.15 s").
  runner=$(sed -n 's/.*runner \([0-9.]*\) s, packaging \([0-9.]*\) s$/\1 \2/p' "$work/last.log" | tail -n 1)
  echo "$total ${own:-0} $phases $image_mib ${runner:-0 0}"
}

# The Django stack's imports, as a web process of the bench app makes them.
STACK_IMPORTS='import django, django.core.handlers.wsgi, django.db.models, django.contrib.auth.hashers, gunicorn.app.wsgiapp, psycopg, requests, whitenoise.middleware'

cold_start() { # state_dir -> "cold_ms warm_ms" (median of RUNS each)
  local cold=() warm=() script
  # Milliseconds of one `python -c` importing the stack, measured inside the launched container.
  script='s=$(date +%s%N); python -c "$STACK_IMPORTS" || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))'
  for _ in $(seq "$RUNS"); do
    cold+=("$("$runner" launch --state-dir "$1" --env STACK_IMPORTS="$STACK_IMPORTS" --env PYTHONDONTWRITEBYTECODE=1 -- bash -c "$script" | tail -n 1)")
  done
  "$runner" launch --state-dir "$1" --env STACK_IMPORTS="$STACK_IMPORTS" -- bash -c 'PYTHONPYCACHEPREFIX=$HOME/pycache python -c "$STACK_IMPORTS"' >/dev/null
  for _ in $(seq "$RUNS"); do
    warm+=("$("$runner" launch --state-dir "$1" --env STACK_IMPORTS="$STACK_IMPORTS" -- bash -c "export PYTHONPYCACHEPREFIX=\$HOME/pycache PYTHONDONTWRITEBYTECODE=1; $script" | tail -n 1)")
  done
  echo "$(printf '%s\n' "${cold[@]}" | median) $(printf '%s\n' "${warm[@]}" | median)"
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

apps=("$@")
start_rows=()
phase_rows=()
runner_rows=()
[ ${#apps[@]} -gt 0 ] || apps=(bench/apps/*/)
echo "Median of $RUNS runs, seconds. 'buildpack' is the buildpack's own build time; 'total' is the"
echo "whole cnb-runner command (packaging check, detect, restore, build, export)."
printf '%-8s %19s %19s %19s\n' "" "fresh" "no-op rebuild" "one pin changed"
printf '%-8s %9s %9s %9s %9s %9s %9s\n' app buildpack total buildpack total buildpack total
for app in "${apps[@]}"; do
  app=${app%/}; name=$(basename "$app")
  fresh=(); noop=(); changed=()
  for run in $(seq "$RUNS"); do
    copy="$work/app-$name"; state="$work/state-$name"
    rm -rf "$copy" "$state"; cp -r "$app" "$copy"
    fresh+=("$(time_build "$state" "$copy")")
    if [ "$run" = 1 ] && grep -qi django "$copy"/requirements.txt "$copy"/pyproject.toml "$copy"/Pipfile 2>/dev/null; then
      start_rows+=("$(printf '%-8s %9s %9s' "$name" $(cold_start "$state"))")
    fi
    noop+=("$(time_build "$state" "$copy")")
    (cd "$copy" && bash ./change.sh)
    changed+=("$(time_build "$state" "$copy")")
  done
  col() { printf '%s\n' "$@" | awk -v f="$field" '{ print $f }' | median; }
  row=()
  for series in fresh noop changed; do
    declare -n values=$series
    field=2; row+=("$(col "${values[@]}")")
    field=1; row+=("$(col "${values[@]}")")
  done
  printf '%-8s %9s %9s %9s %9s %9s %9s\n' "$name" "${row[@]}"
  phase_row=()
  for field in 3 4 5 6; do phase_row+=("$(col "${fresh[@]}")"); done
  phase_rows+=("$(printf '%-8s %9s %9s %9s %9s' "$name" "${phase_row[@]}")")
  runner_row=()
  for series in fresh noop; do
    declare -n values=$series
    for field in 7 8; do runner_row+=("$(col "${values[@]}")"); done
  done
  runner_rows+=("$(printf '%-8s %9s %9s %9s %9s' "$name" "${runner_row[@]}")")
done
echo
echo "Fresh build by phase (median, seconds): runtime = until Python is installed; tools = then"
echo "until the package manager's install command starts; deps = the rest of the buildpack."
echo "image = the size of the app image's layers (launch layers), MiB."
printf '%-8s %9s %9s %9s %9s\n' app runtime tools deps image
printf '%s\n' "${phase_rows[@]}"
echo
echo "The runner's own time (median, seconds), as it reports it: runner = outside bin/detect and"
echo "bin/build (workspace, restore, export); packaging = checking that the buildpack is built."
printf '%-8s %19s %19s\n' "" "fresh" "no-op rebuild"
printf '%-8s %9s %9s %9s %9s\n' app runner packaging runner packaging
printf '%s\n' "${runner_rows[@]}"
if [ ${#start_rows[@]} -gt 0 ]; then
  echo
  echo "Importing the Django stack in the launched app after the fresh build (median of $RUNS, ms):"
  echo "cold = the image as exported, bytecode writes off; warm = every module freshly compiled."
  printf '%-8s %9s %9s\n' app cold warm
  printf '%s\n' "${start_rows[@]}"
fi
