#!/usr/bin/env bash
# Start-up time (process start to window mapped) and idle CPU of the desktop app under Xvfb.
# Needs: xvfb xauth xdotool (and the GUI libraries listed in the README).
# Usage: benches/gui-startup.sh [path/to/push-console]   (default: target/release)
set -euo pipefail
binary=$(realpath "${1:-target/release/push-console}")
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x860x24" "$0" "$binary"
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
start=$(date +%s%N)
PUSH_CONSOLE_HOME=$home HOME=$home "$binary" >"$home/app.log" 2>&1 &
pid=$!
for _ in $(seq 1 500); do
  xdotool search --name "^Push Console$" >/dev/null 2>&1 && break
  sleep 0.01
done
shown=$(date +%s%N)
echo "process start to window mapped: $(( (shown - start) / 1000000 )) ms"
sleep 3
before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 10
after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
echo "CPU while idle for 10 s: $((after - before)) ticks of 10 ms"
kill "$pid"
