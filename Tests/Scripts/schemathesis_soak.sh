#!/bin/sh
# Runs schemathesis (every check, as schemathesis.toml enables them) against a fresh `tape serve --demo` on a temporary data directory, then stops
# the server and removes the directory. Used by `make soak`; exits with schemathesis's status, or 1 when the server
# died: its output is kept in ${TMPDIR:-/tmp}/tape-schemathesis-serve-PID.log and, where the system writes core files
# into the working directory, its core beside it (.core) with the crashed thread's stack printed by gdb.
#   TAPE_BIN                   the tape executable (default .build/release/tape)
#   TAPE_SCHEMATHESIS_SECONDS  schemathesis's time budget (default 600)
set -u
TAPE_BIN=${TAPE_BIN:-.build/release/tape}
SECONDS_BUDGET=${TAPE_SCHEMATHESIS_SECONDS:-600}
DATA=$(mktemp -d "${TMPDIR:-/tmp}/tape-schemathesis-XXXXXX")
OUT="$DATA/serve.out"
SERVER=""

cleanup() {
    # Only the server this script started, by its process id.
    if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
        kill -TERM "$SERVER"
        wait "$SERVER" 2>/dev/null
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT INT TERM

# The server runs in $DATA with core dumps on: should it crash, gdb reads the whole stack from the core (the
# runtime's own backtrace stops at the first function without a frame pointer).
case "$TAPE_BIN" in /*) ;; *) TAPE_BIN="$PWD/$TAPE_BIN" ;; esac
(cd "$DATA" && ulimit -c unlimited 2>/dev/null; exec "$TAPE_BIN" serve --demo --data "$DATA/data" --port 0) >"$OUT" 2>&1 &
SERVER=$!

# Wait (at most 120 s) for the banner with the port and the admin key, instead of sleeping a fixed time.
deadline=$(( $(date +%s) + 120 ))
while ! grep -q "demo admin key" "$OUT" 2>/dev/null; do
    if ! kill -0 "$SERVER" 2>/dev/null; then echo "soak: tape serve exited:"; cat "$OUT"; exit 1; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "soak: tape serve did not start within 120 s:"; cat "$OUT"; exit 1; fi
    sleep 0.2
done
URL=$(sed -n 's|.*serving .* on \(http://[^ ]*\).*|\1|p' "$OUT" | head -n 1)
KEY=$(sed -n 's|.*demo admin key (this run only): \([^ ]*\).*|\1|p' "$OUT" | head -n 1)
echo "soak: schemathesis against $URL for at most $SECONDS_BUDGET s"

# Every check runs: schemathesis.toml enables them all. Not `--checks all`, which would override its per-operation
# exceptions (in schemathesis 4.x a check named on the command line wins over the config file for every operation).
TAPE_KEY="$KEY" schemathesis run "$URL/openapi.json" -w 1 --max-time "$SECONDS_BUDGET" --no-color
status=$?
if ! kill -0 "$SERVER" 2>/dev/null; then
    # Keep the whole server output (the data directory goes) and show where it crashed: the runtime's
    # message and the crashed thread's frames come before the register dump at the end.
    KEPT="${TMPDIR:-/tmp}/tape-schemathesis-serve-$$.log"
    cp "$OUT" "$KEPT"
    echo "soak: tape serve died during the run; its whole output is in $KEPT. The crash:"
    grep -n -m 1 -A 40 -E "Fatal error|Program crashed|crashed:" "$KEPT" || tail -n 40 "$KEPT"
    for core in "$DATA"/core*; do
        [ -f "$core" ] || continue
        mv "$core" "$KEPT.core"
        echo "soak: its core dump is $KEPT.core; the crashed thread's stack:"
        command -v gdb >/dev/null && gdb -batch -ex "bt 60" "$TAPE_BIN" "$KEPT.core" 2>/dev/null | grep "^#"
    done
    status=1
fi
exit $status
