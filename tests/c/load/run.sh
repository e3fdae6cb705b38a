#!/bin/sh
# run.sh MODE BUILD_DIR LIB_DIR: the load test (tests/c/load/load.c) under
# the registries of tests/harness/test_registry.rs (see mk/load.mk):
#
#   cargo run --quiet --example test_registry -- tests/c/load/run.sh short build/tests/c/load LIB
#
# short (make test-load): memcheck on the plain registry (every error kind,
#   definite/indirect leaks are errors, no suppressions), then memcheck on
#   plain + token with --undef-value-errors=no (ring/rustls false reports,
#   see tests/c/README.md); LOAD_OPS operations per thread each.
# long (make load-long): the same with LOAD_LONG_OPS, a native run on all
#   three registries, helgrind (with helgrind.supp, sorted and judged by
#   helgrind_report.py) with LOAD_HELGRIND_OPS, and the ThreadSanitizer
#   build of the C side (tsan.supp) with LOAD_TSAN_OPS.
set -eu
mode=$1
dir=$2
LD_LIBRARY_PATH=$3${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
ops=${LOAD_OPS:-200}
long_ops=${LOAD_LONG_OPS:-1000}
hg_ops=${LOAD_HELGRIND_OPS:-40}
tsan_ops=${LOAD_TSAN_OPS:-500}
memcheck="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=1"
run=0

step() {
    run=$((run + 1))
    printf '\n== %s\n' "$1"
    shift
    start=$(date +%s)
    LOAD_RUN=$run "$@"
    echo "   ($(($(date +%s) - start)) s)"
}

[ "$mode" = long ] && ops=$long_ops

if [ "$mode" = long ]; then
    step "native, plain + tls + token, $ops ops/thread" \
        env LOAD_OPS="$ops" LOAD_REGISTRIES=plain,tls,token "$dir/load"
fi
step "memcheck, plain, $ops ops/thread" \
    env LOAD_OPS="$ops" LOAD_REGISTRIES=plain $memcheck "$dir/load"
step "memcheck --undef-value-errors=no, plain + token, $ops ops/thread" \
    env LOAD_OPS="$ops" LOAD_REGISTRIES=plain,token $memcheck --undef-value-errors=no "$dir/load"
[ "$mode" = long ] || exit 0

log=$dir/helgrind.log
step "helgrind (tests/c/load/helgrind.supp), plain, $hg_ops ops/thread; log in $log" \
    env LOAD_OPS="$hg_ops" LOAD_REGISTRIES=plain valgrind --tool=helgrind \
    --suppressions=tests/c/load/helgrind.supp --error-limit=no --num-callers=40 \
    --log-file="$log" "$dir/load"
grep 'ERROR SUMMARY' "$log"
python3 tests/c/load/helgrind_report.py "$log"

step "ThreadSanitizer (C side; tests/c/load/tsan.supp), plain + token, $tsan_ops ops/thread" \
    env LOAD_OPS="$tsan_ops" LOAD_REGISTRIES=plain,token \
    TSAN_OPTIONS="suppressions=tests/c/load/tsan.supp halt_on_error=1 exitcode=66" \
    "$dir/load-tsan"
