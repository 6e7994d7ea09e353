#!/usr/bin/env bash
# tools/release/cli.sh OUT: OUT/linux-x64/kubectl-imanage and OUT/linux-arm64/kubectl-imanage, the
# command line as Node 24 single executable applications: the bundle (bundle.ts) is an asset of
# the blob, sea-main.cjs its entry point, and postject injects the blob into a copy of each
# platform's Node (the blob holds no snapshot and no code cache, so one blob fits both).
# Cached per input hash, like the image.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$1
node="$root/node_modules/node/bin/node"
cache_root=${IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imanage-operator/image}
# shellcheck source=tools/image/stage.sh
source "$root/tools/image/stage.sh"

inputs_hash=$(
  { cd "$root" && git ls-files -co --exclude-standard -- operator tools/release package.json package-lock.json |
      grep -v '\.test\.ts$' | LC_ALL=C sort | while read -r f; do [[ -f $f ]] && sha256sum "$f"; done
    sha256sum "$(node_binary amd64)" "$(node_binary arm64)"; } | sha256sum | cut -c1-16
)
result="$(dirname "$cache_root")/cli/$inputs_hash"
if [[ ! -x $result/linux-arm64/kubectl-imanage ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$node" "$here/bundle.ts" "$root" "$work/cli.mjs"
  cat >"$work/sea.json" <<CONFIG
{ "main": "$here/sea-main.cjs", "output": "$work/sea.blob", "disableExperimentalSEAWarning": true,
  "useSnapshot": false, "useCodeCache": false, "assets": { "cli.mjs": "$work/cli.mjs" } }
CONFIG
  # The blob is made by the Node it is injected into (this machine's platform of node.lock).
  (cd "$work" && "$(node_binary "$("$node" -p "process.arch === 'x64' ? 'amd64' : process.arch")")" --experimental-sea-config sea.json >&2)
  for arch in amd64 arm64; do
    platform=linux-$([[ $arch == amd64 ]] && echo x64 || echo arm64)
    mkdir -p "$work/result/$platform"
    cp "$(node_binary "$arch")" "$work/result/$platform/kubectl-imanage"
    chmod 755 "$work/result/$platform/kubectl-imanage"
    # postject warns about every ELF note it cannot name (harmless, and many): its log is shown on failure only.
    if ! "$node" "$here/sea-inject.ts" "$work/result/$platform/kubectl-imanage" "$work/sea.blob" \
      >"$work/postject.log" 2>&1; then
      cat "$work/postject.log" >&2
      exit 1
    fi
  done
  mkdir -p "$(dirname "$result")"
  rm -rf "$result"
  mv "$work/result" "$result"
fi
mkdir -p "$out"
cp -a "$result/." "$out/"
