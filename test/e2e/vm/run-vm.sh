#!/usr/bin/env bash
# Boot the tsiscsi test VM: qemu TCG (KVM does not work on our build machines), the
# Debian kernel and initrd from prepare.sh, the host's / shared read-only over 9p, qemu
# user-mode networking (the guest reaches the host's 127.0.0.1:PORT as 10.0.2.2:PORT).
# The console (ttyS0) is this script's stdout. qemu is exec'd under `timeout`, so the
# PID that started this script is the process group to kill.
#
# Usage: test/e2e/vm/run-vm.sh <guest program, relative to the repo> [extra kernel args...]
# Env:   TSI_PORTAL (ip:port the guest should use; default 10.0.2.2:3260),
#        TSI_TIMEOUT (hard limit for qemu in s, default 300; the guest program gets 60 s less),
#        TSI_MEM (MiB, 1024), TSI_SMP (1), TSI_BIOS (default | qboot), TSISCSI_E2E_CACHE (see prepare.sh)
# Example (manual debugging, after prepare.sh):
#   test/e2e/vm/run-vm.sh test/e2e/guest/netlink-roundtrip.mjs
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${TSISCSI_E2E_CACHE:-$REPO/.cache/e2e}
RUN=${1:?usage: run-vm.sh <guest program relative to the repo> [kernel args...]}
shift
TIMEOUT=${TSI_TIMEOUT:-300}
GUEST_LIMIT=$((TIMEOUT > 120 ? TIMEOUT - 60 : TIMEOUT / 2))
for f in vmlinuz initrd.cpio.gz; do
	[ -s "$CACHE/$f" ] || { echo "run-vm: $CACHE/$f missing: run test/e2e/vm/prepare.sh" >&2; exit 2; }
done
APPEND="console=ttyS0 panic=-1 quiet loglevel=4 tsi.root=$REPO tsi.run=$RUN"
APPEND+=" tsi.portal=${TSI_PORTAL:-10.0.2.2:3260} tsi.timeout=$GUEST_LIMIT tsi.9pcache=loose $*"
# TSI_BIOS=qboot uses qemu's qboot instead of SeaBIOS (no measurable gain under TCG here)
BIOS=()
if [ "${TSI_BIOS:-default}" = qboot ] && [ -f /usr/share/qemu/qboot.rom ]; then BIOS=(-bios /usr/share/qemu/qboot.rom); fi
exec timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${BIOS[@]}" \
	-accel tcg -cpu max -smp "${TSI_SMP:-1}" -m "${TSI_MEM:-1024}" \
	-nodefaults -no-reboot -display none -serial stdio \
	-kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.cpio.gz" -append "$APPEND" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	</dev/null
