#!/usr/bin/env bash
# Prepare a fresh Debian machine (run as root) to build and test tsiscsi. Idempotent.
#   1. installs missing Debian packages: tgt (tgtd/tgtadm: the real target used by the
#      integration tests), libiscsi-bin (an independent initiator), open-iscsi (the real
#      iscsiadm that the golden tests compare tsiscsiadm's output with; they run it only
#      in private mount namespaces, never on the host's /etc/iscsi), hyperfine, iproute2,
#      procps, systemd (systemd-notify for sd_notify, systemd-analyze to verify the
#      units), python3 (the tests' NOTIFY_SOCKET listener); `apt-get update` runs only
#      when something is missing;
#   2. makes sure Node.js >= 20.19 is present (installs Debian's nodejs + npm if not);
#   3. installs npm dependencies (`npm ci`; skipped when package-lock.json is unchanged
#      since the last successful run) and builds (`npm run build`).
# Non-interactive: works with CI=true and without a terminal or stdin.
# Environment: TSISCSI_FORCE_NPM_CI=1 always reinstalls node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
# build-essential (make, gcc, g++): node-gyp builds the NETLINK_ISCSI addon (native/) at npm ci
PACKAGES=(tgt libiscsi-bin open-iscsi open-isns-server hyperfine iproute2 procps systemd python3 build-essential)
NODE_MIN=20.19

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]
}

# apt-get install without starting services: Debian's tgt would otherwise start a
# system-wide tgtd on 0.0.0.0:3260, and open-iscsi its iscsid. Our tests start private
# loopback tgtd instances and run iscsiadm in private namespaces.
# A policy-rc.d we create is removed again on exit; an existing one is left alone.
POLICY=/usr/sbin/policy-rc.d
MADE_POLICY=""
trap '[ -z "$MADE_POLICY" ] || rm -f "$POLICY"' EXIT
apt_install() {
  [ "$(id -u)" -eq 0 ] || die "missing packages ($*): run as root (apt-get install -y $*)"
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    MADE_POLICY=1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then
    say "apt-get update"
    apt-get update -q </dev/null >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null >&2 \
    || die "apt-get install failed for: $*"
}

# --- 1. Debian packages -------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
  if [[ " ${missing[*]} " == *" tgt "* ]]; then
    say "installed tgt without starting tgt.service (tests use private tgtd instances on loopback);"
    say "  'systemctl disable tgt' keeps the system tgtd from starting at boot"
  fi
  if [[ " ${missing[*]} " == *" open-iscsi "* ]]; then
    say "installed open-iscsi without starting iscsid (the golden tests run iscsiadm in private namespaces);"
    say "  'systemctl disable iscsid.socket open-iscsi.service' keeps it from starting at boot"
  fi
else
  say "Debian packages present: ${PACKAGES[*]}"
fi

# --- 2. Node.js >= 20.19 ------------------------------------------------------
node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
  node -e '
    const [maj, min] = process.versions.node.split(".").map(Number);
    const [wantMaj, wantMin] = process.argv[1].split(".").map(Number);
    process.exit(maj > wantMaj || (maj === wantMaj && min >= wantMin) ? 0 : 1);
  ' "$NODE_MIN"
}
if ! node_ok; then
  have=$(node --version 2>/dev/null || echo none)
  say "Node.js >= $NODE_MIN and npm are needed (found node: $have); installing Debian packages nodejs npm"
  apt_install nodejs npm
  node_ok || die "Node.js $(node --version 2>/dev/null || echo none) is still older than $NODE_MIN \
(Debian 12 ships 18.x; Debian 13 ships 20.19). Install Node.js >= $NODE_MIN (e.g. from Debian 13 \
or nodejs.org) and run this script again."
fi
say "node $(node --version), npm $(npm --version 2>/dev/null)"

# --- 3. npm dependencies and build -------------------------------------------
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
stamp=node_modules/.tsiscsi-lock.sha256
if [ -f package-lock.json ]; then
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -z "${TSISCSI_FORCE_NPM_CI:-}" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "node_modules up to date with package-lock.json"
  else
    say "npm ci"
    npm ci --no-progress </dev/null >&2
    printf '%s\n' "$want" >"$stamp"
  fi
else
  say "no package-lock.json: npm install"
  npm install --no-progress </dev/null >&2
fi

# npm ci builds the netlink addon (package.json "install"); build it when npm ci was skipped
[ -f build/Release/netlink.node ] || node native/build.mjs </dev/null >&2

say "npm run build"
npm run build --silent </dev/null >&2
say "ready"
