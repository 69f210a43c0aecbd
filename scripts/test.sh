#!/usr/bin/env bash
# The whole suite, as `make test` runs it: the unit tests (no daemon, CPU-bound) in a pytest of their own beside
# the tests against the real Docker engines and Kubernetes (which spend much of their time waiting on rollouts,
# back-offs and probes), so the CPU that the waiting leaves idle is used. The unit run is niced: it takes the idle
# CPU and yields the rest, so the cluster tests' timing (probes with 1 s timeouts, rollouts) is what it was. Both
# must pass; the unit run's output is printed when it ends. Extra arguments go to both runs.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
unit_log=$(mktemp "${TMPDIR:-/tmp}/shipshape-unit.XXXXXX")
trap 'rm -f "$unit_log"' EXIT

nice -n 19 "$VENV/bin/pytest" -q -m unit -p no:cacheprovider --durations=10 "$@" >"$unit_log" 2>&1 &
unit=$!
trap 'kill "$unit" 2>/dev/null; rm -f "$unit_log"' EXIT

echo "test: unit tests in a second pytest beside this one (their output follows when they end)"
"$VENV/bin/pytest" -q -m "not unit" --durations=25 "$@"
live=$?
wait "$unit"
units=$?
echo
echo "---- unit tests (run beside the daemon and cluster tests) ----"
cat "$unit_log"
echo "test: daemon and cluster tests exit $live, unit tests exit $units"
[ "$live" -eq 0 ] && [ "$units" -eq 0 ]
