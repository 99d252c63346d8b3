#!/usr/bin/env bash
# Regenerate the JavaScript the static book serves itself, so that charts and saved widget state render
# with no network. Run by hand when bumping versions; the outputs are committed, so builds never need npm.
#   _static/vega-bundle.js   vega + vega-lite + vega-embed (UMD), loaded on every page by Jupyter Book
#   _extra/widgets/          require.js + @jupyter-widgets/html-manager, loaded by myst-nb on widget pages
#   _extra/mathjax/          MathJax 3 (tex-mml-chtml + its fonts and lazily loaded parts), for every page
set -euo pipefail
VEGA=6.4.0 VEGALITE=6.4.3 VEGAEMBED=7.3.0 HTMLMANAGER=1.0.15 REQUIREJS=2.3.7 MATHJAX=3.2.2
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" && npm init -y >/dev/null
npm install --no-audit --no-fund "vega@$VEGA" "vega-lite@$VEGALITE" "vega-embed@$VEGAEMBED" \
  "@jupyter-widgets/html-manager@$HTMLMANAGER" "requirejs@$REQUIREJS" "mathjax@$MATHJAX" >/dev/null
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
rm -rf "$here/_extra/widgets" && mkdir -p "$here/_extra/widgets"
cp $nm/requirejs/require.js "$here/_extra/widgets/require.js"
cp $nm/@jupyter-widgets/html-manager/dist/embed-amd.js "$here/_extra/widgets/embed-amd.js"
# The manager's icon fonts are fetched relative to each page, which no static layout can serve: inline the
# woff2 files (the format browsers pick first) as data URIs so that no page asks for a missing font.
python3 - "$nm/@jupyter-widgets/html-manager/dist" "$here/_extra/widgets/embed-amd.js" <<'PY'
import base64, pathlib, re, sys
dist, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
js = target.read_text()
for font in dist.glob("*.woff2"):
    uri = "data:font/woff2;base64," + base64.b64encode(font.read_bytes()).decode()
    js, n = re.subn(r'\b\w\.p\+"' + re.escape(font.name) + '"', '"' + uri + '"', js)
    assert n, font.name
# The manager typesets with the MathJax 2 API (MathJax.Hub.Queue); the book ships MathJax 3.
js, n = re.subn(r'MathJax\.Hub\.Queue\(\["Typeset",MathJax\.Hub,(\w+)\]\)',
                r'(MathJax.typesetPromise?MathJax.typesetPromise([\1]):MathJax.Hub.Queue(["Typeset",MathJax.Hub,\1]))', js)
assert n, "MathJax.Hub.Queue call not found"
target.write_text(js)
PY
rm -rf "$here/_extra/mathjax" && mkdir -p "$here/_extra/mathjax/output/chtml/fonts"
cp $nm/mathjax/es5/tex-mml-chtml.js "$here/_extra/mathjax/"
cp -r $nm/mathjax/es5/output/chtml/fonts/woff-v2 "$here/_extra/mathjax/output/chtml/fonts/"
cp -r $nm/mathjax/es5/a11y $nm/mathjax/es5/ui "$here/_extra/mathjax/"
echo "vendored: $(du -ch "$here/_static/vega-bundle.js" "$here"/_extra/widgets/* | tail -1)"
