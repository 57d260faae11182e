#!/usr/bin/env bash
# The REST API against the CLI, both sending to their built-in simulator, release build:
#  1. 10,000 tokens: `POST /v1/notifications` (curl, from request to answer) against
#     `push-console send --tokens FILE --no-history` and with history (process start to exit);
#  2. one token, with and without history: curl's total time, and that minus the send's own
#     elapsed_ms (which the answer reports; it leaves out the history's two SQLite commits,
#     synchronous=FULL, which every front end pays), medians of 200 sends.
# Usage: benches/rest-api.sh [path/to/push-console] [rounds]   (default: target/release, 5)
set -euo pipefail
binary=$(realpath "${1:-target/release/push-console}")
rounds=${2:-5}
home=$(mktemp -d)
export PUSH_CONSOLE_HOME=$home
cleanup() {
  kill "${pid:-}" 2>/dev/null || true
  "$binary" serve token --revoke >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT
python3 - "$home" <<'PY'
import sys, json
home = sys.argv[1]
tokens = [f"{i:08x}" + "bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad" for i in range(10000)]
open(f"{home}/10k.txt", "w").write("\n".join(tokens) + "\n")
for name, history in (("10k", True), ("10k-no-history", False)):
    json.dump({"tokens": tokens, "payload": {"aps": {"alert": "bench"}}, "record_history": history},
              open(f"{home}/{name}.json", "w"))
for name, history in (("1", True), ("1-no-history", False)):
    json.dump({"tokens": [tokens[0]], "payload": {"aps": {"alert": "one"}}, "record_history": history},
              open(f"{home}/{name}.json", "w"))
PY
"$binary" serve --listen 127.0.0.1:0 >"$home/serve.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "^REST API on " "$home/serve.out" && break; sleep 0.1; done
api=$(sed -n 's/^REST API on //p' "$home/serve.out")
token=$(cat "$home/config/api-token")
post() {
  curl -s -o "$home/answer.json" -w '%{time_total}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary "@$home/$1.json" "$api/v1/notifications"
}
post 1 >/dev/null   # starts the built-in simulator and the connection
seconds() { python3 -c "import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(f'{statistics.median(v):.3f} s (min {min(v):.3f}, max {max(v):.3f})')" "$@"; }
api_10k=(); api_10k_nh=(); cli_10k=(); cli_10k_nh=()
for _ in $(seq 1 "$rounds"); do
  api_10k+=("$(post 10k)")
  python3 -c "import json,sys; a=json.load(open('$home/answer.json')); assert a['totals']['accepted']==10000, a['totals']"
  api_10k_nh+=("$(post 10k-no-history)")
  start=$(date +%s.%N); "$binary" send --tokens "$home/10k.txt" --alert bench >/dev/null 2>&1; end=$(date +%s.%N)
  cli_10k+=("$(python3 -c "print($end-$start)")")
  start=$(date +%s.%N); "$binary" send --tokens "$home/10k.txt" --alert bench --no-history >/dev/null 2>&1; end=$(date +%s.%N)
  cli_10k_nh+=("$(python3 -c "print($end-$start)")")
done
echo "10,000 tokens to the simulator, $rounds rounds, medians:"
echo "  REST POST /v1/notifications, history on:  $(seconds "${api_10k[@]}")"
echo "  CLI send (process start to exit), history on: $(seconds "${cli_10k[@]}")"
echo "  REST, --no-history equivalent:             $(seconds "${api_10k_nh[@]}")"
echo "  CLI send --no-history:                     $(seconds "${cli_10k_nh[@]}")"
for body in 1 1-no-history; do
  overheads=()
  for _ in $(seq 1 200); do
    total=$(post "$body")
    elapsed=$(python3 -c "import json; print(json.load(open('$home/answer.json'))['totals']['elapsed_ms'])")
    overheads+=("$(python3 -c "print($total*1000) ; print($total*1000-$elapsed)" | tr '\n' ' ')")
  done
  python3 -c "
import sys, statistics
pairs = [tuple(map(float, x.split())) for x in sys.argv[2:]]
total = sorted(p[0] for p in pairs); over = sorted(p[1] for p in pairs)
print(f'one token ({sys.argv[1]}), 200 sends: request to answer median {statistics.median(total):.2f} ms; beyond the send\'s own elapsed_ms: median {statistics.median(over):.2f} ms, 90th percentile {over[int(len(over)*0.9)]:.2f} ms')
" "$body" "${overheads[@]}"
done
