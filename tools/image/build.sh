#!/usr/bin/env bash
# Builds the operator's container image without a Docker engine, the way distroless images are
# built: a root file system from Debian packages (extracted, not installed), the project's Node
# 24 binary, and the operator compiled to JavaScript with its production dependencies. Three
# layers, written by imagetool (go-containerregistry) as an OCI layout.
#
#   tools/image/build.sh [--out DIR] [--rebuild] [--update-lock] [--platforms linux/amd64,linux/arm64]
#   tools/image/build.sh --snapshot DIR
#
# One platform (default: this machine's) gives an OCI layout holding one image, a `docker load`
# tarball and sbom.spdx.json; several give one OCI image index (the layout's only entry) and
# sbom-<arch>.spdx.json per platform.
#
# The Debian packages come from debian.lock, resolved against the archive's signed indexes (see
# debian.sh): a locked version the archive no longer serves is replaced by the current one, in
# one line on stderr, and --update-lock writes what was resolved back to debian.lock. The image's
# label dev.imanage-operator.debian-packages and its /usr/share/doc/imanage-operator/sbom.spdx.json
# say what it holds.
#
# --snapshot copies the inputs (and a link to node_modules) to DIR, with DIR/build.env holding
# the commit's SOURCE_DATE_EPOCH, IMAGE_REVISION and IMAGE_SOURCE, and stops: DIR/tools/image/build.sh
# then builds the same image however the working tree changes meanwhile (the image test does so).
#
# Prints the digest on stdout (last line); sizes and paths go to stderr. Two builds from one lock
# and one commit give one digest: every time stamp is SOURCE_DATE_EPOCH (default: the commit time).
# The result is cached per user, keyed by a hash of every input and of the resolved packages, like
# tools/controlplane.sh; --rebuild ignores the cache (to show that a second build gives the same digest).
# Environment: SOURCE_DATE_EPOCH, IMAGE_REVISION (default: the commit), IMAGE_SOURCE (default:
# the origin remote), IMAGE_CACHE (default: ~/.cache/imanage-operator/image).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tools/image/require-go.sh
source "$here/require-go.sh"
require_go
command -v apt-get >/dev/null || { echo "the image is made of Debian packages and needs apt (apt-get, apt-cache, dpkg-deb)" >&2; exit 1; }
out="$root/build/image"
rebuild=0 update_lock=0
snapshot= platforms=
while (($#)); do
  case $1 in
    --out) out=$2; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --update-lock) update_lock=1; shift ;;
    --platforms) platforms=$2; shift 2 ;;
    --snapshot) snapshot=$2; shift 2 ;;
    *) echo "usage: $0 [--out DIR] [--rebuild] [--update-lock] [--platforms linux/amd64,linux/arm64] | --snapshot DIR" >&2; exit 2 ;;
  esac
done

node="$root/node_modules/node/bin/node"
[[ -x $node ]] || { echo "$node is missing: run npm ci first" >&2; exit 1; }
host_arch=$("$node" -p "({ x64: 'amd64', arm64: 'arm64' })[process.arch] ?? process.arch")
IFS=, read -r -a platforms <<<"${platforms:-linux/$host_arch}"
arches=("${platforms[@]#linux/}")
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
if [[ -n $snapshot ]]; then
  mkdir -p "$snapshot"
  (cd "$root" && input_files | xargs cp --parents -t "$snapshot")
  ln -sfn "$root/node_modules" "$snapshot/node_modules"
  printf 'SOURCE_DATE_EPOCH=%s\nIMAGE_REVISION=%s\nIMAGE_SOURCE=%s\n' "$epoch" "$revision" "$source_url" >"$snapshot/build.env"
  exit 0
fi
cache_root=${IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imanage-operator/image}
# shellcheck source=tools/image/debian.sh
source "$here/debian.sh"
# shellcheck source=tools/image/stage.sh
source "$here/stage.sh"

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock" # two builds at once must not share a staging folder or apt's lists
flock 9
resolved=$(mktemp "$cache_root/.resolved.XXXXXX")
trap 'rm -f "$resolved"' EXIT
resolve_debian "${arches[@]}" >"$resolved"
((update_lock == 0)) || write_lock "$resolved"
inputs_hash=$(
  { (cd "$root" && input_files | grep -vx tools/image/debian.lock | xargs sha256sum); cat "$resolved"
    for arch in "${arches[@]}"; do sha256sum "$(node_binary "$arch")"; done
    echo "$epoch $revision $source_url $version ${platforms[*]}"; } | sha256sum | cut -c1-16
)
result="$cache_root/$inputs_hash"

publish() {
  mkdir -p "$out"
  rm -rf "$out/oci" "$out/imanage-operator.tar" "$out/imagetool" "$out"/sbom*.spdx.json
  cp -a "$result/." "$out/"
  rm -f "$out/digest" "$out/sizes"
  echo "OCI layout: $out/oci${single:+; docker load -i $out/imanage-operator.tar ($tag)}" >&2
  cat "$result/digest"
}

single=; ((${#arches[@]} > 1)) || single=1
if ((rebuild == 0)) && [[ -f $result/digest ]]; then
  cat "$result/sizes" >&2
  publish
  exit 0
fi

# build_platform ARCH: one image, in $work/ARCH (oci, digest, sbom.spdx.json; the tarball if single).
build_platform() {
  local arch=$1 dir="$work/$1" doc packages
  doc="$dir/base/usr/share/doc/imanage-operator"
  stage_debian "$dir/base" "$cache_root/debs" "$resolved" "$arch"
  stage_node "$dir/node" "$arch"
  mkdir -p "$doc" "$dir/layers"
  "$node" "$here/sbom.ts" --name imanage-operator --version "$version" --arch "$arch" --epoch "$epoch" \
    --node "$dir/node/nodejs/bin/node" --node-version "$(node_version "$arch")" --lock "$root/package-lock.json" --debian "$resolved" --out "$doc/sbom.spdx.json"
  cp "$doc/sbom.spdx.json" "$dir/sbom.spdx.json"
  packages=$(awk -v a="$arch" '$2 == a {printf "%s%s=%s", (n++ ? "," : ""), $1, $3}' "$resolved")
  "$work/imagetool" build --platform "linux/$arch" \
    --layer "debian=$dir/base" --layer "node=$dir/node" --layer "operator=$work/app" \
    --epoch "$epoch" --user 65532:65532 --workdir /app --tag "$tag" \
    --entrypoint '["/nodejs/bin/node","/app/operator/cli/main.js"]' --cmd '["run"]' \
    --env PATH=/nodejs/bin \
    --env "NODE_OPTIONS=--max-semi-space-size=4 --max-old-space-size=96" \
    --env MALLOC_ARENA_MAX=2 --env MALLOC_TRIM_THRESHOLD_=131072 --env MALLOC_MMAP_THRESHOLD_=131072 \
    --env NODE_COMPILE_CACHE=/tmp/node-compile-cache \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --label "org.opencontainers.image.source=$source_url" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$revision" \
    --label "org.opencontainers.image.created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" \
    --label "org.opencontainers.image.title=imanage-operator" \
    --label "org.opencontainers.image.licenses=Apache-2.0" \
    --label "dev.imanage-operator.debian-packages=$packages" \
    --scratch "$dir/layers" --oci-layout "$dir/oci" ${single:+--tarball "$dir/imanage-operator.tar"} \
    >"$dir/digest" 2> >(tee -a "$work/result/sizes" >&2)
}

work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work" "$resolved"' EXIT
(cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$work/imagetool" .)
mkdir -p "$work/result"
stage_app "$work/app"
index_args=()
for arch in "${arches[@]}"; do
  build_platform "$arch"
  index_args+=(--image "$work/$arch/oci")
  cp "$work/$arch/sbom.spdx.json" "$work/result/sbom-$arch.spdx.json"
done
if [[ -n $single ]]; then
  mv "$work/$arch/oci" "$work/$arch/imanage-operator.tar" "$work/$arch/digest" "$work/result/"
  mv "$work/result/sbom-$arch.spdx.json" "$work/result/sbom.spdx.json"
else
  "$work/imagetool" index --tag "$tag" --oci-layout "$work/result/oci" "${index_args[@]}" >"$work/result/digest"
fi
cp "$work/imagetool" "$work/result/imagetool" # unpacks and lists the layout (the image test uses it)
rm -rf "$result"
mv "$work/result" "$result"
# Each result holds about 110 MB per platform: keep the three most recent.
find "$cache_root" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' -printf '%T@ %p\n' |
  sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -rf
publish
