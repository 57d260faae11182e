#!/usr/bin/env bash
# Takes a screenshot of each main view of the real app under Xvfb, after a first send to
# the built-in simulator, into assets/screenshots/. Debian/Ubuntu:
#   apt-get install -y --no-install-recommends xvfb xauth imagemagick xdotool libx11-6 \
#     libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0 libegl1 libgl1-mesa-dri
# Usage: assets/screenshots/make.sh [path/to/push-console]   (default: target/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-target/release/push-console}
[ -x "$binary" ] || cargo build --release
out=$PWD/assets/screenshots

if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x860x24" "$0" "$binary"
fi

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
# A throwaway home: no history or identities of the user's appear in the pictures; one
# identity (the test fixture) so that the Identities view shows one.
PUSH_CONSOLE_HOME=$home HOME=$home "$binary" identities import \
  tests/fixtures/keychain-legacy-rc2-3des.p12 --password fixture >/dev/null
PUSH_CONSOLE_HOME=$home HOME=$home "$binary" >"$home/app.log" 2>&1 &
app=$!
window=""
for _ in $(seq 1 150); do
  window=$(xdotool search --name "^Push Console$" 2>/dev/null | head -1 || true)
  [ -n "$window" ] && break
  sleep 0.2
done
[ -n "$window" ] || { cat "$home/app.log"; exit 1; }
sleep 1.5

click() { xdotool mousemove --window "$window" "$1" "$2" click 1; sleep "${3:-1}"; }
# "Send to 1 token" (where the default layout puts it; without a window manager Xvfb
# gives the window no keyboard focus for Ctrl+Enter), then the History, Identities and
# Settings tabs.
click 60 600 2
import -window "$window" "$out/send.png"
click 213 12
import -window "$window" "$out/history.png"
click 285 12
import -window "$window" "$out/identities.png"
click 365 12
import -window "$window" "$out/settings.png"
kill "$app"
wait "$app" 2>/dev/null || true
identify "$out"/*.png
