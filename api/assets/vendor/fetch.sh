#!/usr/bin/env bash
# The browser libraries the binary serves, taken byte for byte from their npm
# packages (no build step). `fetch.sh` copies them here; `fetch.sh --check`
# (run by .ci/run) fails when a file here differs from its package.
set -euo pipefail
cd "$(dirname "$0")"

# package@version   file in the package             file here
files=(
  "graphiql@3.9.0   graphiql.min.js                  graphiql-3.9.0.min.js"
  "graphiql@3.9.0   graphiql.min.css                 graphiql-3.9.0.min.css"
  "graphiql@3.9.0   LICENSE                          LICENSE.graphiql"
  "react@18.3.1     umd/react.production.min.js      react-18.3.1.production.min.js"
  "react@18.3.1     LICENSE                          LICENSE.react"
  "react-dom@18.3.1 umd/react-dom.production.min.js  react-dom-18.3.1.production.min.js"
  "react-dom@18.3.1 LICENSE                          LICENSE.react-dom"
  "echarts@6.0.0    dist/echarts.min.js              echarts-6.0.0.min.js"
  "echarts@6.0.0    LICENSE                          LICENSE.echarts"
  "echarts@6.0.0    NOTICE                           NOTICE.echarts"
  "echarts@6.0.0    licenses/LICENSE-d3              LICENSE-d3.echarts"
)

check=false
[ "${1:-}" = "--check" ] && check=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for line in "${files[@]}"; do
  read -r package source here <<<"$line"
  unpacked="$work/$package"
  if [ ! -d "$unpacked" ]; then
    mkdir -p "$unpacked"
    tarball=$(cd "$work" && npm pack --silent "$package")
    tar -xzf "$work/$tarball" -C "$unpacked"
  fi
  if $check; then
    if cmp -s "$unpacked/package/$source" "$here"; then
      echo "ok       $here ($package $source)"
    else
      echo "DIFFERS  $here is not $package's $source" >&2
      failed=1
    fi
  else
    cp "$unpacked/package/$source" "$here"
    echo "copied   $here ($package $source)"
  fi
done
exit $failed
