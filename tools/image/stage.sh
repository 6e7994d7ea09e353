# The Node and operator folders of the image; sourced by build.sh (which sets here, root, node and
# cache_root). The Debian folder is debian.sh's.

# node_binary ARCH: the Node binary the project runs on, for amd64 or arm64. This machine's is the
# `node` devDependency (which installs node-linux-<arch> from npm); another architecture's is the
# same version's node-linux-<arch> package, fetched by npm (which checks it against the registry's
# integrity hash) into the cache.
node_binary() {
  local arch=$1 npm_arch version dir
  case $arch in amd64) npm_arch=x64 ;; arm64) npm_arch=arm64 ;; *) echo "unsupported architecture $arch" >&2; return 1 ;; esac
  if [[ $("$node" -p process.arch) == "$npm_arch" ]]; then echo "$node"; return; fi
  version=$("$node" -p process.versions.node)
  dir="$cache_root/node/node-linux-$npm_arch-$version"
  if [[ ! -x $dir/package/bin/node ]]; then
    mkdir -p "$dir.tmp"
    echo "fetching node-linux-$npm_arch@$version from the npm registry" >&2
    (cd "$dir.tmp" && npm pack --silent "node-linux-$npm_arch@$version" >/dev/null && tar -xzf ./*.tgz) >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
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
