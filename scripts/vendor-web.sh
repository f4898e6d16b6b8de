#!/usr/bin/env bash
# Vendor the browser libraries pinned in scripts/web/package.json as built files into
# src/benchcast/web/static/vendor/, so that installing Benchcast never needs Node.js.
#
# Run it after changing a pin; commit what it writes. It installs into a temporary folder
# (nothing is left in the repository but the copied files) and copies only what pages load:
# the ES module build, its stylesheet, and the licence.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/src/benchcast/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$root/scripts/web/package.json" "$work/"
[[ -f "$root/scripts/web/package-lock.json" ]] && cp "$root/scripts/web/package-lock.json" "$work/"
(cd "$work" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error)
# Keep the lock file beside the pins, so a rerun installs exactly the same tree.
cp "$work/package-lock.json" "$root/scripts/web/package-lock.json"

copy() { # copy PACKAGE_DIR DEST FILE... : each FILE (relative to the package) into DEST
  local pkg="$work/node_modules/$1" dest="$vendor/$2"
  shift 2
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in "$@"; do
    cp "$pkg/$f" "$dest/"
  done
  local version
  version="$(node -p "require('$pkg/package.json').version")"
  echo "$version" >"$dest/VERSION"
  echo "vendored $(basename "$pkg") $version into ${dest#"$root"/}"
}

copy @xterm/xterm xterm lib/xterm.mjs css/xterm.css LICENSE
# highlight.js: the core and only the grammars the code panel loads (web/static/js/syntax.js).
hljs_languages=(bash c cpp css diff dockerfile go ini javascript json julia makefile markdown
  plaintext python r rust shell sql typescript xml yaml)
grammars=()
for lang in "${hljs_languages[@]}"; do grammars+=("es/languages/$lang.min.js"); done
copy @highlightjs/cdn-assets highlight es/core.min.js styles/github-dark.min.css LICENSE "${grammars[@]}"
for lang in "${hljs_languages[@]}"; do
  mv "$vendor/highlight/$lang.min.js" "$vendor/highlight/lang-$lang.min.js"
done
copy marked marked lib/marked.esm.js LICENSE
copy dompurify dompurify dist/purify.es.mjs LICENSE
copy uplot uplot dist/uPlot.esm.js dist/uPlot.min.css LICENSE
# pdf.js: the ES module build and its worker only (no viewer, no scripting sandbox: papers'
# JavaScript is never run), and the standard fonts a PDF may name without embedding them.
copy pdfjs-dist pdfjs build/pdf.min.mjs build/pdf.worker.min.mjs LICENSE
std_fonts=(FoxitDingbats.pfb FoxitFixed.pfb FoxitFixedBold.pfb FoxitFixedBoldItalic.pfb
  FoxitFixedItalic.pfb FoxitSerif.pfb FoxitSerifBold.pfb FoxitSerifBoldItalic.pfb
  FoxitSerifItalic.pfb FoxitSymbol.pfb LiberationSans-Bold.ttf LiberationSans-BoldItalic.ttf
  LiberationSans-Italic.ttf LiberationSans-Regular.ttf LICENSE_FOXIT LICENSE_LIBERATION)
fonts=()
for f in "${std_fonts[@]}"; do fonts+=("standard_fonts/$f"); done
copy pdfjs-dist pdfjs/standard_fonts "${fonts[@]}"
