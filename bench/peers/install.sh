#!/usr/bin/env bash
# Installs the peer clients of `npm run bench -- peers` into bench/peers/ (never part of `npm ci`
# at the repository root, so CI does not install them). Run it as `npm run bench:peers-install`.
#
#   bench/peers/         @confluentinc/kafka-javascript (CKJS), built from source with
#                        CKJS_LINKING=dynamic against Debian's libssl-dev and zlib1g-dev (its
#                        install otherwise downloads a prebuilt binary or librdkafka's
#                        dependencies' sources, which this network does not reach). Built for the
#                        repository's Node.
#   bench/peers/node24/  @platformatic/kafka and the Node 24 binary it runs under (the npm package
#                        `node`): @platformatic/kafka needs Node >= 22.22. A separate folder, since
#                        the `node` package puts its binary first on PATH for install scripts,
#                        which would build CKJS for the wrong Node.
#
# Versions are pinned in the two package.json files (and their lock files); the script prints what
# it installed. Takes several minutes: CKJS compiles its bundled librdkafka.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# CKJS' dynamic build links the system OpenSSL and zlib.
missing=()
for pkg in libssl-dev zlib1g-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing ${missing[*]} (CKJS links them)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "CKJS needs ${missing[*]}: install them (apt-get install ${missing[*]}) and run this again" >&2
    exit 1
  fi
fi

install() {
  local dir="$1"
  shift
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && env "$@" npm ci --no-audit --no-fund)
  else
    (cd "$dir" && env "$@" npm install --no-audit --no-fund)
  fi
}

echo "== bench/peers/node24: Node 24 and @platformatic/kafka"
install "$here/node24" PATH="$PATH"
echo "== bench/peers: @confluentinc/kafka-javascript (compiles librdkafka: several minutes)"
# JOBS=1: CKJS's gyp files race at -j2 (`No rule to make target '../deps/librdkafka/config.h'`).
# librdkafka's own make, inside, runs `make -j` whatever JOBS says (CKJS's deps/librdkafka.gyp).
install "$here" CKJS_LINKING=dynamic JOBS=1

version() { node -p "require('$1/package.json').version"; }
echo "== installed"
echo "@confluentinc/kafka-javascript $(version "$here/node_modules/@confluentinc/kafka-javascript") (librdkafka $(node -p "require('$here/node_modules/@confluentinc/kafka-javascript').librdkafkaVersion"), node $(node --version))"
echo "@platformatic/kafka $(version "$here/node24/node_modules/@platformatic/kafka") (node $("$here/node24/node_modules/node/bin/node" --version))"
