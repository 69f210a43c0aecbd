#!/bin/sh
# Stand-in for `npm ci` (no Node.js in this image, and no npm registry is reachable from a build here).
# It keeps the behaviour that matters to shipshape: the registry is treated as flaky, so with npm's default
# retry settings the install fails with npm's real ETIMEDOUT error text; with fetch-retries >= 3 and a retry
# maxtimeout configured (.npmrc or npm_config_* env, as `npm config set` would) it "installs" the packages of
# package-lock.json into node_modules/.
set -eu
cd "${1:-.}"

setting() {  # the value of an npm setting: environment first, then .npmrc (last one wins)
  env_name="npm_config_$(echo "$1" | tr '-' '_')"
  value=$(printenv "$env_name" 2>/dev/null || true)
  if [ -z "$value" ] && [ -f .npmrc ]; then
    value=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p" .npmrc | tail -n 1)
  fi
  echo "$value"
}

retries=$(setting fetch-retries)
maxtimeout=$(setting fetch-retry-maxtimeout)
if [ -z "$retries" ] || [ "$retries" -lt 3 ] || [ -z "$maxtimeout" ]; then
  cat >&2 <<'NPM'
npm error code ETIMEDOUT
npm error errno ETIMEDOUT
npm error network request to https://registry.npmjs.org/next/-/next-14.2.15.tgz failed, reason: connect ETIMEDOUT 104.16.2.35:443
npm error network This is a problem related to network connectivity.
npm error network In most cases you are behind a proxy or have bad network settings.
npm error network
npm error network If you are behind a proxy, please make sure that the
npm error network 'proxy' config is set properly.  See: 'npm help config'
npm error A complete log of this run can be found in: /root/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log
NPM
  exit 1
fi

count=0
for entry in $(sed -n 's/^[[:space:]]*"node_modules\/\([^"]*\)": {.*/\1/p' package-lock.json); do
  version=$(awk -v key="\"node_modules/$entry\"" '$0 ~ key {found=1} found && /"version"/ {gsub(/[",]/, ""); print $2; exit}' package-lock.json)
  mkdir -p "node_modules/$entry"
  printf '{"name": "%s", "version": "%s"}\n' "$entry" "$version" > "node_modules/$entry/package.json"
  count=$((count + 1))
done
echo "added $count packages, and audited $((count + 1)) packages in 2s (fetch-retries=$retries)"
