#!/usr/bin/env bash
# Prepare the real-kernel test VM (qemu TCG, Debian's stock kernel). Idempotent.
#
# Cache (kept between runs; ~25 MB): $TSISCSI_E2E_CACHE (default <repo>/.cache/e2e)
#   kver, vmlinuz        Debian stock kernel, unpacked from linux-image-<ver>.deb
#   modroot/             depmod'ed subset of its modules: iscsi_tcp & deps, sd_mod, virtio net, 9p
#   initrd.cpio.gz       busybox + modules + test/e2e/vm/init (rebuilt every run, < 1 s)
# The guest runs the HOST's userland (node, the repo, the addon) over a read-only 9p
# share of /, so no node is packed into the initrd.
#
# Host packages (installed when missing; needs root): qemu-system-x86, busybox-static,
# cpio, kmod. The kernel .deb comes from the configured apt sources (apt-get download),
# only when the cache has no kernel. TSISCSI_E2E_KERNEL_REFRESH=1 fetches the current one.
# Every network/package step has a hard timeout. Prints "[prepare +T s] ..." steps.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${TSISCSI_E2E_CACHE:-$REPO/.cache/e2e}
MODS="virtio_pci virtio_net crc32c_generic crc32c-intel iscsi_tcp sd_mod 9pnet_virtio 9p"
APT_TIMEOUT=${TSISCSI_E2E_APT_TIMEOUT:-900}
mkdir -p "$CACHE"
t0=$(date +%s.%N)
step() { printf '[prepare +%ss] %s\n' "$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N)-$t0}")" "$*"; }
die() { printf 'prepare: error: %s\n' "$*" >&2; exit 1; }

# One prepare at a time per cache dir (parallel CI jobs on one machine).
exec 9>"$CACHE/.lock"
timeout 900 flock 9 || die "timed out waiting for $CACHE/.lock"

# --- 0. host packages ---------------------------------------------------------
need=()
for c in qemu-system-x86_64:qemu-system-x86 cpio:cpio depmod:kmod modprobe:kmod flock:util-linux; do
	command -v "${c%%:*}" >/dev/null 2>&1 || need+=("${c#*:}")
done
# the initramfs needs a static busybox (busybox-static provides /bin/busybox)
if ! { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }; then need+=(busybox-static); fi
if [ "${#need[@]}" -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing host packages: ${need[*]} (run as root: apt-get install ${need[*]})"
	step "apt-get install ${need[*]}"
	timeout "$APT_TIMEOUT" apt-get update -qq </dev/null || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive timeout "$APT_TIMEOUT" apt-get install -y -qq --no-install-recommends \
		"${need[@]}" </dev/null >/dev/null || die "apt-get install ${need[*]} failed"
fi

# --- 1. kernel + module subset (cached) -----------------------------------------
if [ -n "${TSISCSI_E2E_KERNEL_REFRESH:-}" ] || [ ! -s "$CACHE/vmlinuz" ] || [ ! -d "$CACHE/modroot" ] || [ ! -s "$CACHE/kver" ]; then
	PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	[ -n "$PKG" ] || die "apt-cache knows no linux-image-amd64 (is a Debian apt source configured?)"
	step "downloading $PKG"
	DL=$(mktemp -d "$CACHE/dl.XXXXXX")
	trap 'rm -rf "$DL"' EXIT
	# apt-get download runs as _apt when it can; it warns it cannot in a root-only dir
	(cd "$DL" && timeout "$APT_TIMEOUT" apt-get download -qq "$PKG" 2>&1 | { grep -v unsandboxed || true; })
	DEB=$(ls "$DL"/"${PKG}"_*.deb 2>/dev/null | head -1)
	[ -n "$DEB" ] || die "apt-get download $PKG produced no .deb"
	step "unpacking $(basename "$DEB")"
	dpkg-deb -x "$DEB" "$DL/root"
	KV=$(ls "$DL/root/lib/modules")
	depmod -b "$DL/root" "$KV"
	rm -rf "$CACHE/modroot.new" && mkdir -p "$CACHE/modroot.new/lib/modules/$KV"
	for m in $MODS; do
		modprobe -d "$DL/root" -S "$KV" --show-depends "$m" | awk '$1=="insmod"{print $2}'
	done | sort -u | while read -r ko; do
		rel=${ko#"$DL/root/lib/modules/$KV/"}
		mkdir -p "$CACHE/modroot.new/lib/modules/$KV/$(dirname "$rel")"
		cp "$ko" "$CACHE/modroot.new/lib/modules/$KV/$rel"
	done
	cp "$DL/root/lib/modules/$KV"/modules.order "$DL/root/lib/modules/$KV"/modules.builtin* "$CACHE/modroot.new/lib/modules/$KV/"
	depmod -b "$CACHE/modroot.new" "$KV"
	rm -rf "$CACHE/modroot" && mv "$CACHE/modroot.new" "$CACHE/modroot"
	cp "$DL/root/boot/vmlinuz-$KV" "$CACHE/vmlinuz.new" && mv "$CACHE/vmlinuz.new" "$CACHE/vmlinuz"
	echo "$KV" >"$CACHE/kver"
	rm -rf "$DL"
	trap - EXIT
fi
KV=$(cat "$CACHE/kver")

# --- 2. initramfs: busybox + modules + /init (cheap: always rebuilt) -----------
step "building initrd for kernel $KV"
R=$(mktemp -d "$CACHE/rootfs.XXXXXX")
trap 'rm -rf "$R"' EXIT
mkdir -p "$R/bin" "$R/etc"
cp /bin/busybox "$R/bin/busybox"
cp "$HERE/init" "$R/init" && chmod 755 "$R/init"
cp -a "$CACHE/modroot/lib" "$R/"
echo "root:x:0:0:root:/:/bin/sh" >"$R/etc/passwd"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 >"$CACHE/initrd.cpio.gz.new")
mv "$CACHE/initrd.cpio.gz.new" "$CACHE/initrd.cpio.gz"
step "done: kernel $KV, $(du -sh "$CACHE/vmlinuz" | cut -f1) vmlinuz, $(du -sh "$CACHE/initrd.cpio.gz" | cut -f1) initrd in $CACHE"
