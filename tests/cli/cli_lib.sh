# Helpers for the rdmapin command's guest cases (71-rdmapin-cli.sh,
# 72-preload.sh); sourced after tests/lib.sh.

RDMAPIN="$RDMAPIN_BUILD/tools/rdmapin/rdmapin"
SHIM="$RDMAPIN_BUILD/librdmapin/preload/librdmapin-preload.so"
export RDMAPIN SHIM

# json_is EXPR CMD...: CMD succeeds and prints JSON for which the Python
# expression EXPR (document as d) is true; the JSON is also checked by
# python3 -m json.tool.  The output is kept in /tmp/last.json.
json_is() {
	local expr=$1
	shift
	"$@" >/tmp/last.json || { echo "exit $? from $*"; return 1; }
	python3 -m json.tool /tmp/last.json >/dev/null || return 1
	EXPR=$expr python3 -c 'import json, os, sys
d = json.load(open("/tmp/last.json"))
ok = eval("(" + os.environ["EXPR"] + "\n)")
if not ok and not os.environ.get("JSON_QUIET"):
    print("not true:", os.environ["EXPR"], "of", json.dumps(d)[:2000])
sys.exit(0 if ok else 1)'
}

# exit_is CODE PATTERN CMD...: CMD exits with CODE and says PATTERN
# (extended regex) on stderr, with nothing on stdout.
exit_is() {
	local want=$1 pattern=$2 rc=0
	shift 2
	"$@" >/tmp/exit.out 2>/tmp/exit.err || rc=$?
	cat /tmp/exit.err
	[ "$rc" = "$want" ] || { echo "exit $rc, want $want"; return 1; }
	[ ! -s /tmp/exit.out ] || { echo "stdout: $(cat /tmp/exit.out)"; return 1; }
	grep -Eq "$pattern" /tmp/exit.err
}

# mrs_of PID EXPR: rdmapin mr --pid PID --json shows MRs that make EXPR
# true (m: the list); waits up to 60 s for the process to register.
mrs_of() {
	JSON_QUIET=1 wait_until 60 json_is "len(d) > 0" "$RDMAPIN" mr --pid "$1" \
		--json >/dev/null 2>&1
	"$RDMAPIN" mr --pid "$1"
	json_is "$2" "$RDMAPIN" mr --pid "$1" --json
}

# counter DEV/PORT NAME: one counter's value, from rdmapin stats --json.
counter() {
	"$RDMAPIN" stats "$1" --json | python3 -c 'import json, sys
print(json.load(sys.stdin)[0]["counters"][sys.argv[1]])' "$2"
}

# /tmp/nolock CMD...: CMD with RLIMIT_MEMLOCK at 64 KiB and without
# CAP_IPC_LOCK, which would exempt it from the limit.  A script, so that
# ip netns exec and env can run it; every step execs, so a background
# job's $! is the program's pid.
cat >/tmp/nolock <<'SH'
#!/bin/sh
ulimit -l 64 || exit 1
exec setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock "$@"
SH
chmod +x /tmp/nolock
nolock() { /tmp/nolock "$@"; }

# /tmp/shim POLICY CMD...: CMD under librdmapin-preload.so with
# RDMAPIN_POLICY=POLICY ("-": unset) and RDMAPIN_DEBUG=1.
cat >/tmp/shim <<SH
#!/bin/sh
policy=\$1
shift
if [ "\$policy" = - ]; then
	exec env -u RDMAPIN_POLICY RDMAPIN_DEBUG=1 LD_PRELOAD="$SHIM" "\$@"
fi
exec env RDMAPIN_POLICY="\$policy" RDMAPIN_DEBUG=1 LD_PRELOAD="$SHIM" "\$@"
SH
chmod +x /tmp/shim

export -f json_is exit_is mrs_of counter nolock wait_until
