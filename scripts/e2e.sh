#!/usr/bin/env bash
# Real-kernel end-to-end tests (issue 6 §5): Debian's stock kernel under qemu (TCG) with
# iscsi_tcp, the guest running this repo's dist/ + netlink addon over 9p, a private tgtd
# on the host loopback. Run alone by `npm run test:e2e`; by scripts/test.sh when CI is
# set or TSISCSI_E2E=1. Needs root the first time (apt-get install qemu-system-x86,
# busybox-static, cpio, kmod; kernel .deb download, cached in .cache/e2e).
# Env: TSISCSI_E2E_TIMEOUT (s, whole run, default 2400), TSISCSI_E2E_VERBOSE=1 (stream the
#      VM console), TSISCSI_E2E_CACHE (cache dir). Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'e2e: %s\n' "$*" >&2; }

# The guest needs the addon: build it (and fail loudly) when missing or older than its source.
if [ ! -f build/Release/netlink.node ] || [ native/netlink.c -nt build/Release/netlink.node ] || [ binding.gyp -nt build/Release/netlink.node ]; then
	say "building the netlink addon"
	TSISCSI_NATIVE_STRICT=1 timeout 600 node native/build.mjs
fi
# vitest's global setup rebuilds dist/ when stale (test/support/dist.ts)
exec timeout -k 30 "${TSISCSI_E2E_TIMEOUT:-2400}" npx --no-install vitest run --config test/e2e/vitest.config.ts "$@"
