#!/usr/bin/env bash
# Screenshots of built documentation pages at a 1280 px wide window, to check
# the layout by eye (clipped code or output, legible figures, full names in
# the page contents). Not run by CI: it needs a browser.
#
# Setup (Debian):  apt-get update && apt-get install -y chromium
# Build the site:  python -m sphinx -W --keep-going -b html docs docs/_build/html
# Then:            docs/screenshot_pages.sh [SITE_DIR] [OUT_DIR] [PAGE ...]
#
# SITE_DIR defaults to docs/_build/html, OUT_DIR to docs/_build/screenshots;
# PAGEs are paths inside the site (default: a gallery page with wide printed
# output, a multi-panel gallery page and the API pages). Open the PNGs with
# any image viewer.
set -euo pipefail
cd "$(dirname "$0")/.."

site=$(realpath "${1:-docs/_build/html}")
out=${2:-docs/_build/screenshots}
shift $(( $# > 2 ? 2 : $# ))
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
    pages=(
        auto_examples/plot_custom_loss.html
        auto_examples/plot_mixture_density.html
        api.html
        generated/skloss.LinearRegressor.html
    )
fi

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "no chromium found: apt-get install -y chromium" >&2
    exit 1
fi

mkdir -p "$out"
for page in "${pages[@]}"; do
    png="$out/$(echo "$page" | tr '/' '_' | sed 's/\.html$//').png"
    "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --hide-scrollbars --window-size=1280,2000 --screenshot="$(realpath -m "$png")" \
        "file://$site/$page" 2>/dev/null
    echo "$png"
done
