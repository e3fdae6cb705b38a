# Each command's manual (ocireg CMD --help, ocireg help CMD) and the
# progress display on a pseudo-terminal (issue 15). Sourced by
# tests/cli/test.sh after json.sh: uses its helpers, $tmp, $PLAIN, $irepo
# and $amd.

# ---- manuals ------------------------------------------------------------

oc help --check; ok "help --check: every command of the dispatch table has a manual, and no manual is stale"
oc help --list; ok "help --list"
cp "$out" "$tmp/commands"
check "help --list names the dispatch table (pull, artifact push, blob-stat)" \
    sh -c "grep -qx pull '$tmp/commands' && grep -qx 'artifact push' '$tmp/commands' && grep -qx blob-stat '$tmp/commands'"
oc --help; ok "--help"
while IFS= read -r cmd; do
    check "--help lists $cmd on one line" grep -q "^  $cmd " "$out"
done <"$tmp/commands"

# Every option the parser knows, taken from its source: the literals
# main.c and common.c compare arguments with.
grep -ohE '"-(-[a-z][a-z-]*|[a-zA-Z])"' "$here/../../cli/main.c" "$here/../../cli/common.c" |
    tr -d '"' | sort -u | grep -vx -- '--' >"$tmp/all-options"
check "the option list is complete enough (--timeout, -H, --mount-from, --quiet)" \
    sh -c "grep -qx -- --timeout '$tmp/all-options' && grep -qx -- -H '$tmp/all-options' &&
           grep -qx -- --mount-from '$tmp/all-options' && grep -qx -- --quiet '$tmp/all-options'"
# value OPTION: a value the option accepts ("" for a flag).
value() {
    case $1 in
        --format) echo json ;; -j | --timeout | --connect-timeout | --read-timeout) echo 5 ;;
        --retries) echo 0 ;; --max-list | --page-size | --limit) echo 10 ;;
        --platform) echo linux/amd64 ;; -H) echo 'X-Test: 1' ;; --annotation) echo k=v ;;
        --insecure-registry | --ca-file | --auth-file | --authfile | --artifact-type | \
        --media-type | --subject | --data-file | --mount-from | --scope | --referrers-type | \
        -u | -p) echo x ;;
        --resume-dir) echo "$tmp/help-resume" ;;
        *) echo "" ;;
    esac
}
# args CMD: arguments CMD takes, aimed at a port where nothing listens.
dead=127.0.0.1:9
args() {
    case $1 in
        version) ;; ping | catalog | login | logout) echo "$dead" ;;
        search) echo "$dead term" ;; blob | blob-stat) echo "$dead/a@sha256:$(printf %064d 0)" ;;
        push-blob | put-manifest | "artifact push" | "signatures put") echo "$dead/a:v1 $tmp/config.json" ;;
        tag) echo "$dead/a:v1 other" ;; untag) echo "$dead/a:v1" ;;
        pull | "artifact pull" | layers) echo "$dead/a:v1 $tmp/help-target" ;;
        push) echo "$tmp/help-target $dead/a:v1" ;; copy) echo "$dead/a:v1 $dead/b:v1" ;;
        save) echo "$dead/a:v1 $tmp/help-target.tar" ;; request) echo "GET $dead /v2/" ;;
        "index add") echo "$dead/a:v1 $dead/a:amd64" ;; "index annotate") echo "$dead/a:v1 k=v" ;;
        "index remove") echo "$dead/a:v1 sha256:$(printf %064d 0)" ;;
        *) echo "$dead/a:v1" ;;
    esac
}
while IFS= read -r cmd; do
    # shellcheck disable=SC2046
    oc $cmd $(args "$cmd") --help
    ok "$cmd --help"
    cp "$out" "$tmp/manual"
    oc help $cmd; ok "help $cmd"
    check "help $cmd is $cmd --help" cmp -s "$out" "$tmp/manual"
    check "$cmd: NAME SYNOPSIS DESCRIPTION GLOBAL OPTIONS EXAMPLES EXIT STATUS" sh -c "
        for s in NAME SYNOPSIS DESCRIPTION 'GLOBAL OPTIONS' EXAMPLES 'EXIT STATUS'; do
            grep -qx \"\$s\" '$tmp/manual' || exit 1
        done"
    check "$cmd: the manual names it" grep -q "^    ocireg $cmd - " "$tmp/manual"
    # Each option the parser takes with this command (it is not refused as
    # not going with it) is in its manual.
    missing=
    while IFS= read -r opt; do
        v=$(value "$opt")
        # shellcheck disable=SC2046
        if [ -n "$v" ]; then
            "$OCIREG" --retries 0 $cmd $(args "$cmd") "$opt" "$v" </dev/null >/dev/null 2>"$tmp/opt-err"
        else
            "$OCIREG" --retries 0 $cmd $(args "$cmd") "$opt" </dev/null >/dev/null 2>"$tmp/opt-err"
        fi
        if grep -q "only go\(es\)\? with\|does not go with" "$tmp/opt-err"; then continue; fi
        grep -q -- "^    $opt[ ,]" "$tmp/manual" || grep -q -- "^    -[a-z], $opt " "$tmp/manual" ||
            missing="$missing $opt"
    done <"$tmp/all-options"
    if [ -z "$missing" ]; then pass "$cmd: every option it takes is in its manual"
    else fail "$cmd: every option it takes is in its manual" "missing:$missing"; fi
done <"$tmp/commands"
oc help frobnicate; usage "help of an unknown command"
oc pull --help -u; ok "--help wins over a usage error"
oc --platform linux/amd64 pull --help; ok "--help after an option with a value"
check "... is pull's manual" grep -q '^    ocireg pull - ' "$out"
oc artifact push --help; ok "artifact push --help"
check "... is its manual" grep -q '^    ocireg artifact push - ' "$out"
oc --quiet --progress "${P[@]}" pull "$irepo:v1" "$tmp/q"; usage "--quiet and --progress exclude each other"

# ---- progress on a terminal, and not ------------------------------------

# pty CMD...: runs CMD on a pseudo-terminal (script from util-linux); its
# terminal output in $tmp/typescript, its status in $rc.
pty() {
    TERM=xterm script -qefc "$(printf '%q ' "$@")" "$tmp/typescript" >/dev/null 2>&1 </dev/null
    rc=$?
}
pty "$OCIREG" "${P[@]}" pull "$irepo:v1" "$tmp/tty-layout:v1"
check "tty: pull succeeds on a terminal" [ "$rc" -eq 0 ]
check "tty: a bar per blob" grep -aq '\[[#.]\{24\}\]' "$tmp/typescript"
check "tty: redrawn in place with ANSI sequences" grep -aq $'\033\\[' "$tmp/typescript"
# (The summary follows the sequences that clear the bars, on their line.)
check "tty: the summary with the counts" grep -aq \
    'pull: .* (100%) .*; blobs: \([0-9]*\) of \1 done (0 skipped, 0 mounted, \1 sent)' "$tmp/typescript"
check "tty: the digest" grep -aq "^$amd" "$tmp/typescript"
pty "$OCIREG" "${P[@]}" pull "$irepo:v1" "$tmp/tty-layout:v1"
check "tty: pulled again: all skipped" grep -aq \
    'pull: .*; blobs: \([0-9]*\) of \1 done (\1 skipped, 0 mounted, 0 sent)' "$tmp/typescript"
pty "$OCIREG" "${P[@]}" copy "$irepo:v1" "$PLAIN/cli/tty-copy:v1"
check "tty: copy within the registry: all mounted" grep -aq \
    'copy: .*; blobs: \([0-9]*\) of \1 done (0 skipped, \1 mounted, 0 sent)' "$tmp/typescript"
pty "$OCIREG" "${P[@]}" --quiet pull "$irepo:v1" "$tmp/tty-quiet:v1"
esc=$(printf '\033')
cr=$(printf '\r')
check "tty: --quiet: no display" sh -c "! grep -aq 'blobs:' '$tmp/typescript' && ! grep -aq '$esc' '$tmp/typescript'"
check "tty: --quiet: the digest still" grep -aq "^$amd" "$tmp/typescript"
TERM=dumb script -qefc "$(printf '%q ' "$OCIREG" "${P[@]}" pull "$irepo:v1" "$tmp/tty-dumb:v1")" \
    "$tmp/typescript" >/dev/null 2>&1 </dev/null
check "tty: TERM=dumb: no ANSI" sh -c "! grep -aq '$esc' '$tmp/typescript'"
check "tty: TERM=dumb: plain lines" grep -aq '^pull: .* (100%)' "$tmp/typescript"
# Not a terminal: nothing unless --progress, then plain lines, no ANSI.
oc "${P[@]}" pull "$irepo:v1" "$tmp/pipe-layout:v1"; ok "pipe: pull" "$amd"
check "pipe: no display without --progress" [ ! -s "$err" ]
oc "${P[@]}" --progress pull "$irepo:v1" "$tmp/pipe-layout2:v1"; ok "pipe: pull --progress" "$amd"
check "pipe: no ANSI sequence, no carriage return" sh -c "! grep -q '[$esc$cr]' '$err'"
check "pipe: a line per blob sent" grep -q '^sha256:[0-9a-f]\{12\} sent (' "$err"
check "pipe: the summary" grep -q '^pull: .* (100%) .*; blobs: \([0-9]*\) of \1 done (0 skipped, 0 mounted, \1 sent)$' "$err"
oc "${P[@]}" --progress push "$tmp/pipe-layout2:v1" "$PLAIN/cli/pipe-pushed:v1"
check "pipe: push to a new repository: a line per blob sent" grep -q '^sha256:[0-9a-f]\{12\} sent (' "$err"
oc "${P[@]}" --progress push "$tmp/pipe-layout2:v1" "$PLAIN/cli/pipe-pushed:v1"
check "pipe: push again: skipped" grep -q '^push: .*(\([0-9]*\) skipped, 0 mounted, 0 sent)$' "$err"
check "pipe: ... a line per blob skipped" grep -q '^sha256:[0-9a-f]\{12\} skipped (' "$err"
