#!/usr/bin/env bash
# Regenerate the JavaScript the static book serves itself, so that charts and saved widget state render
# with no network. Run by hand when bumping versions; the outputs are committed, so builds never need npm.
#   _static/vega-bundle.js   vega + vega-lite + vega-embed (UMD), loaded on every page by Jupyter Book
#   _extra/widgets/          require.js + @jupyter-widgets/html-manager, loaded by myst-nb on widget pages
set -euo pipefail
VEGA=6.4.0 VEGALITE=6.4.3 VEGAEMBED=7.3.0 HTMLMANAGER=1.0.15 REQUIREJS=2.3.7
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" && npm init -y >/dev/null
npm install --no-audit --no-fund "vega@$VEGA" "vega-lite@$VEGALITE" "vega-embed@$VEGAEMBED" \
  "@jupyter-widgets/html-manager@$HTMLMANAGER" "requirejs@$REQUIREJS" >/dev/null
nm=node_modules
{
  echo "/* vega $VEGA, vega-lite $VEGALITE, vega-embed $VEGAEMBED (BSD-3-Clause), vendored by scripts/vendor-js.sh."
  echo "   window.define is hidden while they load so that they set globals even where require.js is present. */"
  echo "(function(){var __define=window.define;window.define=undefined;"
  cat $nm/vega/build/vega.min.js; echo ";"
  cat $nm/vega-lite/build/vega-lite.min.js; echo ";"
  cat $nm/vega-embed/build/vega-embed.min.js; echo ";"
  echo "window.define=__define;})();"
} > "$here/_static/vega-bundle.js"
mkdir -p "$here/_extra/widgets"
cp $nm/requirejs/require.js "$here/_extra/widgets/require.js"
cp $nm/@jupyter-widgets/html-manager/dist/embed-amd.js "$here/_extra/widgets/embed-amd.js"
cp $nm/@jupyter-widgets/html-manager/dist/*.woff2 "$here/_extra/widgets/"  # browsers take woff2 first
echo "vendored: $(du -ch "$here/_static/vega-bundle.js" "$here"/_extra/widgets/* | tail -1)"
