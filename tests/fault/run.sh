#!/bin/bash
# Run the fault-injection scenarios (default: every tests/fault/fault_*.sh),
# each FAULT_RUNS times (default 1), each run bounded by FAULT_TIMEOUT
# seconds (default 600), through the netns runner: "NAME: X of N passed".
# usage: tests/fault/run.sh BUILD_DIR [SCENARIO...]
build=${1:-build}; shift
cd "$(dirname "$0")/../.." || exit 1
[ $# -eq 0 ] && set -- tests/fault/fault_*.sh
SUITE=fault RUNS=${FAULT_RUNS:-1} LIMIT=${FAULT_TIMEOUT:-600} exec tests/netns/run.sh "$build" "$@"
