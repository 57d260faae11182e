#!/usr/bin/env bash
# HTTP/2 APNs-style sending against nginx, a server that is not the bottleneck:
#
#   h2load                      the limit: what one HTTP/2 connection to this nginx can carry
#   push-console send           our binary, process start to exit, in five variants:
#                               text or --json output, with or without --no-history,
#                               and --json --no-history over two connections
#   h2load -c 2                 the same over two connections, for what a second one gives
#   h2-floor                    examples/h2_floor.rs: the same requests over the libraries
#                               push-console sends with (h2, rustls, tokio), and nothing
#                               else: the floor those libraries set under our client
#   @parse/node-apn (npm)       peer client, driver benches/peers/node-apn.js
#   aioapns (PyPI)              peer client, driver benches/peers/aioapns_bench.py
#
# Every client sends COUNT notifications (POST /3/device/<64 hex>, apns-topic,
# apns-push-type: alert, apns-priority: 10, token auth, the same ~100-byte payload) over
# one TLS connection with CONCURRENCY streams in flight. Each round starts a fresh nginx
# and runs every client once, in an order rotated per round so no client always runs
# first (or right after another). The report gives per client the medians over rounds of
# rate, wall time, client CPU per notification (user+sys of the client process, from
# /usr/bin/time), the ratio to h2load's rate in the same round and push-console's ratio to
# each peer in the same round.
#
# Usage, from the repository root:  bash benches/http2-nginx.sh
# Environment:
#   COUNT=50000           notifications per run
#   ROUNDS=3              rounds
#   CONCURRENCY=1000      streams in flight, every client (nginx allows 1000)
#   PUSH_CONSOLE=target/release/push-console   built with cargo if missing
#   H2_FLOOR=target/release/examples/h2_floor   built with cargo if missing
#   SKIP_PUSH_CONSOLE=1   leave our client and the floor out (no build)
#   PEERS_DIR=benches/.peers   where npm and the Python venv install the peers (git-ignored)
#   NODE_APN_VERSION, AIOAPNS_VERSION   pinned peer versions (defaults below)
#   RUN_TIMEOUT=300       seconds before one client run is killed
#   KEEP_TMP=1            keep the temporary folder (certs, nginx log, every run's output)
# Needs root for apt-get only when something is missing (Debian 12).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD

COUNT=${COUNT:-50000}
ROUNDS=${ROUNDS:-3}
CONCURRENCY=${CONCURRENCY:-1000}
PUSH_CONSOLE=${PUSH_CONSOLE:-target/release/push-console}
H2_FLOOR=${H2_FLOOR:-target/release/examples/h2_floor}
SKIP_PUSH_CONSOLE=${SKIP_PUSH_CONSOLE:-0}
PEERS_DIR=${PEERS_DIR:-benches/.peers}
AIOAPNS_VERSION=${AIOAPNS_VERSION:-4.0}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
KEEP_TMP=${KEEP_TMP:-0}
TOPIC=com.example.app
KEY_ID=ABCDEFGHIJ
TEAM_ID=ABCDEFGHIJ

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------
# System packages. apt-get runs only for what is missing, so a prepared machine needs no
# root and no network.

have_nginx() { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }

# Installing nginx would start the distribution's nginx service on port 80; a
# policy-rc.d that answers 101 ("action forbidden") stops that. It is only put in place
# when the machine has none, and removed again right after.
apt_install() {
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  { [ -n "${apt_updated:-}" ] || apt-get update -qq; } && apt_updated=1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

need=()
have_nginx || need+=(nginx-light)       # nginx-light has the ssl and http_v2 modules
command -v h2load >/dev/null || need+=(nghttp2-client)
[ -x /usr/bin/time ] || need+=(time)    # GNU time: user and sys of the client process
command -v openssl >/dev/null || need+=(openssl)
command -v timeout >/dev/null || need+=(coreutils)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  apt_install "${need[@]}" || die "apt-get install ${need[*]} failed"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---------------------------------------------------------------------------------------
# Clients. A client that cannot be installed is skipped with its reason, not fatal.

declare -A skipped=()   # client -> why it was left out
mkdir -p "$PEERS_DIR"
PEERS_DIR=$(realpath "$PEERS_DIR")

if [ "$SKIP_PUSH_CONSOLE" = 1 ]; then
  skipped[push-console]="SKIP_PUSH_CONSOLE=1"
else
  if [ ! -x "$PUSH_CONSOLE" ]; then
    log "$PUSH_CONSOLE is missing: cargo build --release --locked"
    cargo build --release --locked
  fi
  [ -x "$PUSH_CONSOLE" ] || die "PUSH_CONSOLE=$PUSH_CONSOLE does not exist (after cargo build --release)"
  PUSH_CONSOLE=$(realpath "$PUSH_CONSOLE")
  if [ ! -x "$H2_FLOOR" ]; then
    log "$H2_FLOOR is missing: cargo build --release --locked --example h2_floor"
    cargo build --release --locked --example h2_floor
  fi
  [ -x "$H2_FLOOR" ] || die "H2_FLOOR=$H2_FLOOR does not exist (after cargo build --example h2_floor)"
  H2_FLOOR=$(realpath "$H2_FLOOR")
fi

# @parse/node-apn: 8.x needs Node 20+, 7.x Node 18+ (Debian 12's nodejs is 18).
node_apn_ready=0
install_node_apn() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "installing nodejs npm"
    apt_install nodejs npm || { skipped[node-apn]="apt-get install nodejs npm failed"; return; }
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ -z "${NODE_APN_VERSION:-}" ]; then
    if [ "$major" -ge 20 ]; then NODE_APN_VERSION=8.1.0
    elif [ "$major" -ge 18 ]; then NODE_APN_VERSION=7.1.0
    else skipped[node-apn]="node $major is too old for @parse/node-apn (needs 18+)"; return
    fi
  fi
  local dir=$PEERS_DIR/node
  local installed
  installed=$(node -p "require('$dir/node_modules/@parse/node-apn/package.json').version" 2>/dev/null || true)
  if [ "$installed" != "$NODE_APN_VERSION" ]; then
    log "npm install @parse/node-apn@$NODE_APN_VERSION into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
      "@parse/node-apn@$NODE_APN_VERSION" >&2 ||
      { skipped[node-apn]="npm install @parse/node-apn@$NODE_APN_VERSION failed"; return; }
  fi
  node_apn_ready=1
}

# aioapns in its own venv (Debian's python3 is "externally managed": no pip install there).
aioapns_ready=0
PYTHON=$PEERS_DIR/python/bin/python
install_aioapns() {
  if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    log "installing python3 python3-venv"
    apt_install python3 python3-venv || { skipped[aioapns]="apt-get install python3-venv failed"; return; }
  fi
  if [ ! -x "$PYTHON" ]; then
    python3 -m venv "$PEERS_DIR/python" >&2 || { skipped[aioapns]="python3 -m venv failed"; return; }
  fi
  if [ "$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("aioapns"))' 2>/dev/null)" != "$AIOAPNS_VERSION" ]; then
    log "pip install aioapns==$AIOAPNS_VERSION into $PEERS_DIR/python"
    "$PYTHON" -m pip install -q --disable-pip-version-check "aioapns==$AIOAPNS_VERSION" >&2 ||
      { skipped[aioapns]="pip install aioapns==$AIOAPNS_VERSION failed"; return; }
  fi
  aioapns_ready=1
}

install_node_apn
install_aioapns

# ---------------------------------------------------------------------------------------
# The temporary folder: certificates, key, tokens, payload, nginx, every run's output.

tmp=$(mktemp -d /tmp/http2-nginx.XXXXXX)
nginx_pid=
stop_nginx() {
  if [ -n "$nginx_pid" ]; then
    kill "$nginx_pid" 2>/dev/null || true   # TERM: fast shutdown of master and worker
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
  fi
}
cleanup() {
  stop_nginx
  if [ "$KEEP_TMP" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A throwaway CA and a server certificate for 127.0.0.1 (SAN IP and DNS, as rustls and
# node check the IP address against the SAN), EC P-256 for cheap handshakes.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -subj "/CN=Push Console bench CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
  'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
  -CAcreateserial -days 2 -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null

# The token-auth key: EC P-256 in PKCS#8 PEM, what Apple's AuthKey_*.p8 files are.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/key.p8"

# COUNT distinct tokens of 64 random hex digits (distinct: push-console drops duplicates).
head -c $((COUNT * 32)) /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w 64 >"$tmp/tokens.txt"
echo >>"$tmp/tokens.txt"
[ "$(sort -u "$tmp/tokens.txt" | wc -l)" -eq "$COUNT" ] || die "token list is not $COUNT distinct tokens"
first_token=$(head -n 1 "$tmp/tokens.txt")

printf '%s' '{"aps":{"alert":{"title":"Benchmark","body":"One of many notifications sent to nginx by the bench"}}}' \
  >"$tmp/payload.json"
payload_bytes=$(wc -c <"$tmp/payload.json")

# h2load sends a bearer header of a provider token's size, so its requests are the same
# size as the clients' (the real token's signature is not checked by nginx).
fake_jwt="eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQ0RFRkdISUoifQ.$(head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d =).$(head -c 64 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d =)"

# ---------------------------------------------------------------------------------------
# nginx: one worker, HTTP/2 over TLS, 1000 streams, a connection that is never closed for
# its request count or idleness during a run, no access log, `return 200`.

mkdir -p "$tmp/nginx"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_nginx() {
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    port_open "$port" && continue
    cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    http2_max_concurrent_streams 1000;
    server {
        listen 127.0.0.1:$port ssl http2;
        ssl_certificate $tmp/server.pem;
        ssl_certificate_key $tmp/server.key;
        location / {
            # APNs answers with the request's apns-id; aioapns matches answers to
            # requests by it (a request without one gets no header).
            add_header apns-id \$http_apns_id always;
            return 200;
        }
    }
}
EOF
    "$NGINX" -p "$tmp/nginx/" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" &
    nginx_pid=$!
    local i
    for i in $(seq 1 50); do
      kill -0 "$nginx_pid" 2>/dev/null || break   # exited: the port was taken meanwhile
      port_open "$port" && return 0
      sleep 0.1
    done
    stop_nginx
  done
  cat "$tmp/nginx/error.log" >&2 || true
  die "nginx did not start"
}

# ---------------------------------------------------------------------------------------
# One run: the client under /usr/bin/time (wall, user, sys, including its children) and
# timeout, then its own count of accepted notifications, checked against COUNT.

results=$tmp/results.tsv   # round, client, wall s, user s, sys s, accepted, rc
: >"$results"

# measure ROUND CLIENT COMMAND...: runs it with stdout and stderr in $tmp/run.{out,err}.
measure() {
  local round=$1 client=$2
  shift 2
  local rc=0
  /usr/bin/time -f '%e %U %S' -o "$tmp/run.time" \
    timeout "$RUN_TIMEOUT" "$@" >"$tmp/run.out" 2>"$tmp/run.err" || rc=$?
  # GNU time puts "Command exited with non-zero status N" before the figures.
  read -r wall user sys < <(tail -n 1 "$tmp/run.time") || { wall=0 user=0 sys=0; }
  # The run's output stays for KEEP_TMP=1 and for the reason of a failure.
  local slug=${client//[^a-z0-9]/_}
  cp "$tmp/run.out" "$tmp/r$round.$slug.out"
  cp "$tmp/run.err" "$tmp/r$round.$slug.err"
  run_rc=$rc
}

record() { # ROUND CLIENT ACCEPTED [NOTE]
  local round=$1 client=$2 accepted=${3:-0} note=${4:-}
  [ -n "$accepted" ] || accepted=0
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$client" "$wall" "$user" "$sys" "$accepted" "$run_rc" >>"$results"
  local rate=0
  [ "$wall" != 0 ] && [ "$wall" != 0.00 ] && rate=$(awk -v n="$COUNT" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
  local status=ok
  if [ "$accepted" != "$COUNT" ]; then
    status="FAILED: $accepted of $COUNT accepted, exit $run_rc; $(tail -n 3 "$tmp/run.err" | tr '\n' ' ' | cut -c 1-300)"
  fi
  log "  round $round  $(printf '%-34s' "$client") ${wall}s  $(printf '%6s' "$rate")/s  user ${user}s sys ${sys}s  $status${note:+  ($note)}"
}

# run_h2load ROUND [CONNECTIONS]: one thread; CONNECTIONS (default 1) sharing $CONCURRENCY
# streams, as push-console's --connections shares its --concurrency.
run_h2load() {
  local connections=${2:-1} client=h2load
  [ "$connections" = 1 ] || client="h2load -c $connections"
  measure "$1" "$client" h2load -n "$COUNT" -c "$connections" -t 1 -m "$((CONCURRENCY / connections))" -d "$tmp/payload.json" \
    -H "apns-topic: $TOPIC" -H 'apns-push-type: alert' -H 'apns-priority: 10' \
    -H "authorization: bearer $fake_jwt" "https://127.0.0.1:$port/3/device/$first_token"
  local accepted own
  accepted=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$tmp/run.out")
  own=$(sed -n 's/^finished in \([^,]*\), \([0-9.]*\) req\/s.*/\2 req\/s in-run, \1/p' "$tmp/run.out")
  record "$1" "$client" "$accepted" "h2load's own: $own"
}

run_h2_floor() {
  measure "$1" h2-floor "$H2_FLOOR" "127.0.0.1:$port" "$tmp/ca.pem" "$tmp/payload.json" \
    "$COUNT" "$CONCURRENCY" "$fake_jwt"
  record "$1" h2-floor "$(sed -n 's/^\([0-9]*\) accepted of.*/\1/p' "$tmp/run.err")"
}

# run_push_console ROUND [--json] [--no-history]
run_push_console() {
  local round=$1
  shift
  local client="push-console${*:+ $*}"
  # A fresh data folder per run (PUSH_CONSOLE_HOME holds config/ and data/history.sqlite3),
  # so runs with history all start from an empty database and nothing reaches the user's.
  rm -rf "$tmp/pc-home"
  mkdir -p "$tmp/pc-home"
  PUSH_CONSOLE_HOME=$tmp/pc-home measure "$round" "$client" \
    "$PUSH_CONSOLE" send --endpoint "127.0.0.1:$port" --ca "$tmp/ca.pem" \
    --p8 "$tmp/key.p8" --key-id "$KEY_ID" --team-id "$TEAM_ID" \
    --topic "$TOPIC" --push-type alert --priority 10 \
    --payload-file "$tmp/payload.json" --tokens "$tmp/tokens.txt" \
    --concurrency "$CONCURRENCY" "$@"
  # The summary on stderr: "50,000 notifications: 50,000 accepted, 0 rejected, ...".
  local accepted note=
  accepted=$(sed -n 's/^[0-9,]* notifications\{0,1\}: \([0-9,]*\) accepted.*/\1/p' "$tmp/run.err" | tr -d ,)
  if [[ " $* " == *" --json "* ]]; then
    local lines
    lines=$(grep -c '"outcome":"accepted"' "$tmp/run.out" || true)
    note="$lines JSON lines accepted"
    [ "$lines" = "$accepted" ] || accepted=$lines
  fi
  record "$round" "$client" "$accepted" "$note"
}

run_node_apn() {
  measure "$1" node-apn env NODE_PATH="$PEERS_DIR/node/node_modules" \
    node "$repo/benches/peers/node-apn.js" 127.0.0.1 "$port" "$tmp/ca.pem" "$tmp/key.p8" \
    "$tmp/tokens.txt" "$tmp/payload.json" "$CONCURRENCY"
  peer_record "$1" node-apn
}

run_aioapns() {
  measure "$1" aioapns "$PYTHON" "$repo/benches/peers/aioapns_bench.py" 127.0.0.1 "$port" \
    "$tmp/ca.pem" "$tmp/key.p8" "$tmp/tokens.txt" "$tmp/payload.json" "$CONCURRENCY"
  peer_record "$1" aioapns
}

# The drivers print one JSON line: ok, failed, send_seconds (in-process, without start-up),
# or unsupported: the reason the library cannot be pointed at nginx.
peer_record() {
  local line unsupported
  line=$(grep '^{' "$tmp/run.out" | tail -n 1 || true)
  unsupported=$(sed -n 's/.*"unsupported": *"\([^"]*\)".*/\1/p' <<<"$line")
  if [ -n "$unsupported" ]; then
    skipped[$2]="cannot talk to nginx: $unsupported"
    log "  round $1  $2: skipped, $unsupported"
    return
  fi
  local ok send
  ok=$(sed -n 's/.*"ok": *\([0-9]*\).*/\1/p' <<<"$line")
  send=$(sed -n 's/.*"send_seconds": *\([0-9.]*\).*/\1/p' <<<"$line")
  record "$1" "$2" "$ok" "${send:+in-process send $(printf '%.2f' "$send") s}"
}

# ---------------------------------------------------------------------------------------
# The rounds.

clients=(h2load)
[ -z "${skipped[push-console]:-}" ] && clients+=(h2-floor pc pc-json pc-no-history pc-json-no-history pc-json-no-history-2)
# Two connections: what a second one gives on this machine, for h2load and for us.
clients+=(h2load-2)
[ "$node_apn_ready" = 1 ] && clients+=(node-apn)
[ "$aioapns_ready" = 1 ] && clients+=(aioapns)

log "COUNT=$COUNT ROUNDS=$ROUNDS CONCURRENCY=$CONCURRENCY payload=${payload_bytes} bytes; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
log "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'), h2load $(h2load --version | sed 's/.*\///')${NODE_APN_VERSION:+, @parse/node-apn $NODE_APN_VERSION (node $(node --version))}, aioapns $AIOAPNS_VERSION"
for round in $(seq 1 "$ROUNDS"); do
  start_nginx
  log "round $round of $ROUNDS (nginx on 127.0.0.1:$port)"
  n=${#clients[@]}
  for i in $(seq 0 $((n - 1))); do
    # Rotate the order each round: round 1 starts with h2load, round 2 with the next one.
    client=${clients[$(((i + round - 1) % n))]}
    [ -n "${skipped[$client]:-}" ] && continue
    case $client in
      h2load) run_h2load "$round" ;;
      pc) run_push_console "$round" ;;
      pc-json) run_push_console "$round" --json ;;
      pc-no-history) run_push_console "$round" --no-history ;;
      pc-json-no-history) run_push_console "$round" --json --no-history ;;
      pc-json-no-history-2) run_push_console "$round" --json --no-history --connections 2 ;;
      h2load-2) run_h2load "$round" 2 ;;
      h2-floor) run_h2_floor "$round" ;;
      node-apn) run_node_apn "$round" ;;
      aioapns) run_aioapns "$round" ;;
    esac
  done
  stop_nginx
done

# ---------------------------------------------------------------------------------------
# The report: medians over the rounds whose run accepted all COUNT notifications; the
# ratios are medians of the same round's ratios (nginx and the machine drift between
# rounds, less within one).

echo
echo "## HTTP/2 to nginx: $COUNT notifications, $CONCURRENCY in flight, one connection, medians of $ROUNDS rounds"
echo
awk -F '\t' -v count="$COUNT" '
  function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function add(key, value) { values[key] = values[key] (values[key] == "" ? "" : " ") value }
  $6 == count && $3 > 0 {
    client = $2; rate = count / $3
    if (!(client in seen)) { seen[client] = 1; order[++clients] = client }
    add(client " rate", rate); add(client " wall", $3)
    add(client " cpu", ($4 + $5) / count * 1e6); add(client " pct", ($4 + $5) / $3 * 100)
    rates[$1, client] = rate; rounds[$1] = 1
  }
  $6 != count { failures[$2] = failures[$2] + 1 }
  END {
    peers[1] = "node-apn"; peers[2] = "aioapns"
    for (r in rounds) for (i = 1; i <= clients; i++) {
      c = order[i]
      if (((r, c) in rates) && ((r, "h2load") in rates)) add(c " vsh2", rates[r, c] / rates[r, "h2load"])
      if (((r, c) in rates) && ((r, "h2-floor") in rates)) add(c " vsfloor", rates[r, c] / rates[r, "h2-floor"])
      for (p = 1; p <= 2; p++)
        if (c ~ /^push-console/ && ((r, c) in rates) && ((r, peers[p]) in rates))
          add(c " vs" peers[p], rates[r, c] / rates[r, peers[p]])
    }
    print "| client | rate (/s) | wall (s) | client CPU / notification (µs) | client CPU (% of a core) | of h2load | of h2-floor | × node-apn | × aioapns |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= clients; i++) {
      c = order[i]
      line = sprintf("| %s | %.0f | %.2f | %.1f | %.0f %% |", c, median(values[c " rate"]), median(values[c " wall"]), median(values[c " cpu"]), median(values[c " pct"]))
      v = median(values[c " vsh2"]); line = line (v == "" ? " |" : sprintf(" %.0f %% |", v * 100))
      v = median(values[c " vsfloor"]); line = line (v == "" ? " |" : sprintf(" %.0f %% |", v * 100))
      for (p = 1; p <= 2; p++) { v = median(values[c " vs" peers[p]]); line = line (v == "" ? " |" : sprintf(" %.2f |", v)) }
      print line
    }
    for (c in failures) printf "\n%s: %d run(s) did not accept all %d notifications (left out above)\n", c, failures[c], count
  }
' "$results"
echo
echo "Rate is COUNT over wall time from process start to exit (h2load included; its own in-run"
echo "figure is in the log above). CPU is user+sys of the client process. \"of h2load\","
echo "\"of h2-floor\" and \"× peer\" are medians of the ratios within each round."
if [ "${#skipped[@]}" -gt 0 ]; then
  echo
  for client in "${!skipped[@]}"; do echo "- skipped $client: ${skipped[$client]}"; done
fi
