#!/usr/bin/env bash
# Builds the operator's container image without a Docker engine, the way distroless images are
# built: a root file system from Debian packages (extracted, not installed), the project's Node
# 24 binary, and the operator compiled to JavaScript with its production dependencies. Three
# layers, written by imagetool (go-containerregistry) as an OCI layout and a `docker load` tarball.
#
#   tools/image/build.sh [--out DIR] [--rebuild]      (npm run image)
#   tools/image/build.sh --snapshot DIR
#
# --snapshot copies the inputs (and a link to node_modules) to DIR, with DIR/build.env holding
# the commit's SOURCE_DATE_EPOCH, IMAGE_REVISION and IMAGE_SOURCE, and stops: DIR/tools/image/build.sh
# then builds the same image however the working tree changes meanwhile (the image test does so).
#
# Prints the image digest on stdout (last line); sizes and paths go to stderr. Two builds of one
# commit give one digest: every time stamp is SOURCE_DATE_EPOCH (default: the commit time).
# The result is cached per user, keyed by a hash of every input, like tools/controlplane.sh;
# --rebuild ignores the cache (to show that a second build gives the same digest).
# Environment: SOURCE_DATE_EPOCH, IMAGE_REVISION (default: the commit), IMAGE_SOURCE (default:
# the origin remote), IMAGE_CACHE (default: ~/.cache/imanage-operator/image).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/build/image"
rebuild=0
snapshot=
while (($#)); do
  case $1 in
    --out) out=$2; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --snapshot) snapshot=$2; shift 2 ;;
    *) echo "usage: $0 [--out DIR] [--rebuild] | --snapshot DIR" >&2; exit 2 ;;
  esac
done

node="$root/node_modules/node/bin/node"
[[ -x $node ]] || { echo "$node is missing: run npm ci first" >&2; exit 1; }
git_in_root() { git -C "$root" "$@" 2>/dev/null; }
epoch=${SOURCE_DATE_EPOCH:-$(git_in_root log -1 --format=%ct || true)}
revision=${IMAGE_REVISION:-$(git_in_root rev-parse HEAD || true)}
source_url=${IMAGE_SOURCE:-$(git_in_root remote get-url origin || true)}
[[ -n $epoch && -n $revision ]] || { echo "not a git checkout: set SOURCE_DATE_EPOCH and IMAGE_REVISION" >&2; exit 1; }
if [[ -z $source_url ]]; then
  echo "warning: no git remote named origin; set IMAGE_SOURCE for the org.opencontainers.image.source label" >&2
  source_url=unknown
fi
version=$("$node" -p 'require(process.argv[1]).version' "$root/package.json")
tag="imanage-operator:$version"

# Everything that ends up in the image, or decides how it is made.
inputs=(operator package.json package-lock.json tsconfig.json tsconfig.build.json tools/image)
input_files() { # run in $root: tracked or new, not ignored, and present; every file outside a git checkout
  { git ls-files -co --exclude-standard -- "${inputs[@]}" 2>/dev/null || find "${inputs[@]}" -type f; } |
    while read -r file; do [[ -f $file ]] && echo "$file"; done | LC_ALL=C sort
}
inputs_hash=$(
  { (cd "$root" && input_files | xargs sha256sum); sha256sum "$node"; echo "$epoch $revision $source_url $version"; } |
    sha256sum | cut -c1-16
)
if [[ -n $snapshot ]]; then
  mkdir -p "$snapshot"
  (cd "$root" && input_files | xargs cp --parents -t "$snapshot")
  ln -sfn "$root/node_modules" "$snapshot/node_modules"
  printf 'SOURCE_DATE_EPOCH=%s\nIMAGE_REVISION=%s\nIMAGE_SOURCE=%s\n' "$epoch" "$revision" "$source_url" >"$snapshot/build.env"
  exit 0
fi
cache_root=${IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imanage-operator/image}
result="$cache_root/$inputs_hash"

publish() {
  mkdir -p "$out"
  rm -rf "$out/oci" "$out/imanage-operator.tar" "$out/imagetool"
  cp -a "$result/oci" "$out/oci"
  cp "$result/imanage-operator.tar" "$out/imanage-operator.tar"
  cp "$result/imagetool" "$out/imagetool" # unpacks and lists the layout (the image test uses it)
  echo "OCI layout: $out/oci; docker load -i $out/imanage-operator.tar ($tag)" >&2
  cat "$result/digest"
}

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock" # two builds at once must not share a staging folder
flock 9
if ((rebuild == 0)) && [[ -f $result/digest ]]; then
  cat "$result/sizes" >&2
  publish
  exit 0
fi

work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=tools/image/stage.sh
source "$here/stage.sh"
stage_debian "$work/base" "$cache_root/debs"
stage_node "$work/node"
stage_app "$work/app"

(cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$work/imagetool" .)
mkdir -p "$work/layers" "$work/result"
"$work/imagetool" build \
  --layer "debian=$work/base" --layer "node=$work/node" --layer "operator=$work/app" \
  --epoch "$epoch" --user 65532:65532 --workdir /app --tag "$tag" \
  --entrypoint '["/nodejs/bin/node","/app/operator/cli/main.js"]' --cmd '["run"]' \
  --env PATH=/nodejs/bin \
  --env NODE_OPTIONS=--max-semi-space-size=1 \
  --env NODE_COMPILE_CACHE=/tmp/node-compile-cache \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --label "org.opencontainers.image.source=$source_url" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" \
  --label "org.opencontainers.image.title=imanage-operator" \
  --label "org.opencontainers.image.licenses=Apache-2.0" \
  --scratch "$work/layers" --oci-layout "$work/result/oci" --tarball "$work/result/imanage-operator.tar" \
  >"$work/result/digest" 2> >(tee "$work/result/sizes" >&2)
cp "$work/imagetool" "$work/result/imagetool"
rm -rf "$result"
mv "$work/result" "$result"
# Each result holds about 110 MB: keep the three most recent.
find "$cache_root" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' -printf '%T@ %p\n' |
  sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -rf
publish
