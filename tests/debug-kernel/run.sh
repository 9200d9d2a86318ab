#!/usr/bin/env bash
# `make test-debug`: build the debug kernel (KASAN, lockdep, kmemleak,
# DEBUG_VM; tests/debug-kernel/debug.config) and everything against it when
# not built yet, then run the suite with every guest booting it.  Results
# go to build/debug-kernel/build/test-results.
#
# usage: tests/debug-kernel/run.sh [PATTERN...]   (as tests/run.sh)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${RDMAPIN_DEBUG_DIR:-$top/build/debug-kernel}

start=$SECONDS
"$top/tests/debug-kernel/build.sh"
echo "test-debug: build step took $(((SECONDS - start) / 60)) min"

export RDMAPIN_GUEST_KERNEL=$dir
export RDMAPIN_BUILD=$dir/build
start=$SECONDS
rc=0
"$top/tests/run.sh" "$@" || rc=$?
echo "test-debug: the suite took $(((SECONDS - start) / 60)) min on $(cat "$dir/release");" \
	"results in $RDMAPIN_BUILD/test-results"
exit $rc
