#!/usr/bin/env bash
# Renders the app icon from assets/icon.svg into the sizes each platform needs:
# PNGs (Linux, AppImage), push-console.ico (Windows) and push-console.icns (macOS).
# Debian/Ubuntu: apt-get install -y librsvg2-bin imagemagick icnsutils
set -euo pipefail
cd "$(dirname "$0")"
for size in 16 32 48 64 128 256 512 1024; do
  rsvg-convert -w "$size" -h "$size" ../icon.svg -o "push-console-$size.png"
done
convert push-console-16.png push-console-32.png push-console-48.png push-console-64.png \
  push-console-128.png push-console-256.png push-console.ico
png2icns push-console.icns push-console-16.png push-console-32.png push-console-128.png \
  push-console-256.png push-console-512.png push-console-1024.png >/dev/null
rm push-console-1024.png
