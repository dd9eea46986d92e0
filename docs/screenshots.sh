#!/usr/bin/env bash
# Regenerates the report screenshots in docs/ with headless Chromium (Debian: apt-get
# install chromium): the demo's week in Bahasa Indonesia, its first and last day, at a
# 390 px phone width and a 1366 px desktop width; and one business's week on a phone.
#   bash docs/screenshots.sh        (from the repository root; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
./target/release/jempol demo --dir "$dir" --lang id >/dev/null
shot() { # WIDTH,HEIGHT DAY OUT
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$1" \
        --screenshot="docs/$3" "file://$dir/reports/$2.html" 2>/dev/null
}
shot 390,3400 2026-11-22 report-phone.png                 # the whole page on a phone
shot 390,844 2026-11-16 report-unknown-days-phone.png     # first screen, days before tracking
shot 1366,2600 2026-11-22 report-provisional-desktop.png  # desktop: provisional, revisions, the whole leaderboard
# One business's week (the week's leader): accounts, followers day by day, its posts.
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["businesses"][0]["key"])' "$dir/reports/2026-11-22.json")
./target/release/jempol --config "$dir/jempol.toml" report --week 2026-11-22 --business "$key" \
    --format html --lang id --out "$dir/reports/business.html" 2>/dev/null
shot 390,2600 business report-business-phone.png         # drill-down on a phone
ls -l docs/*.png
# The consent pages (jempol serve) in Chromium, from the browser spec: a business's link
# before and after connecting TikTok, after a cancel, and on a desktop in English.
JEMPOL_SCREENSHOTS="$PWD/docs" cargo test --locked --test consent in_chromium -- --quiet
ls -l docs/consent-*.png
# The dashboard (jempol demo --serve) in Chromium at 390×844 and 1366×768, from its
# browser spec: sign-in, overview, leaderboard filtered by a district, a business, a post.
JEMPOL_SCREENSHOTS="$PWD/docs" cargo test --locked --test dashboard in_chromium -- --quiet
ls -l docs/dashboard-*.png
