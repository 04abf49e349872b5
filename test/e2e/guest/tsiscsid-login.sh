# Runs INSIDE the test VM (see test/e2e/vm/init): the host's node + this repo over 9p,
# cwd = the repo, env TSI_PORTAL (host tgtd as seen from the guest), TSI_TARGET.
# Starts tsiscsid (--root on a tmpfs), creates the node record for the NATed portal,
# logs in, reports what the kernel shows, logs out. Facts are `TSI-JSON` lines; the
# host-side test (test/e2e/kernel-login.e2e.ts) asserts.
#
# Today the daemon logs in over usertcp (no kernel transport driver yet). When the
# driver exists, the same script shows /sys/class/iscsi_session/session* and /dev/sdX:
# only the iface (TSI_IFACE, default "default") and the assertions change.
R=/tmp/tsi
IFACE=${TSI_IFACE:-default}
fact() { printf 'TSI-JSON {"step":"%s"%s}\n' "$1" "${2:+,$2}"; }
# JSON string of $1 (backslash, quote, control characters escaped; newlines as \n)
json_str() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\011\013-\037' | sed ':a;N;$!ba;s/\n/\\n/g')"
}
up() { cut -d' ' -f1 /proc/uptime; }
adm() { TSISCSI_ROOT=$R timeout 120 node bin/tsiscsiadm "$@"; }

# (node starts slowly under TCG over 9p: write the initiator name instead of --generate-initiatorname)
mkdir -p $R/etc/tsiscsi
echo "InitiatorName=iqn.2026-11.test.tsiscsi:guest" >$R/etc/tsiscsi/initiatorname.iscsi

T0=$(up)
node bin/tsiscsid --root $R -f -n >/tmp/tsiscsid.log 2>&1 &
DPID=$!
for i in $(seq 1 300); do [ -S $R/run/tsiscsi/tsiscsid.sock ] && break; sleep 0.1; done
fact daemon "\"pid\":$DPID,\"socket\":$([ -S $R/run/tsiscsi/tsiscsid.sock ] && echo true || echo false),\"start_s\":$(awk "BEGIN{print $(up)-$T0}")"

# Through qemu's NAT, SendTargets answers the target's own portal (127.0.0.1:PORT on the
# host), which the guest cannot reach: record the node for the NATed portal by hand.
OUT=$(adm -m discovery -t st -p "$TSI_PORTAL" 2>&1); RC=$?
fact discovery "\"rc\":$RC,\"out\":$(json_str "$OUT")"
OUT=$(adm -m node -o new -T "$TSI_TARGET" -p "$TSI_PORTAL" -I "$IFACE" 2>&1); RC=$?
fact node-new "\"rc\":$RC,\"out\":$(json_str "$OUT")"

T0=$(up)
OUT=$(adm -m node -T "$TSI_TARGET" -p "$TSI_PORTAL" -I "$IFACE" -l 2>&1); RC=$?
fact login "\"rc\":$RC,\"out\":$(json_str "$OUT"),\"s\":$(awk "BEGIN{print $(up)-$T0}")"

DEV=
# a kernel session (kernel transports) gets up to 5 s for its disk to appear
if ls /sys/class/iscsi_session 2>/dev/null | grep -q session; then
	for i in $(seq 1 50); do
		for d in /sys/class/iscsi_session/session*/device/target*/*/block/*; do
			[ -e "$d" ] && DEV=$(basename "$d") && break 2
		done
		sleep 0.1
	done
fi
OUT=$(adm -m session 2>&1); RC=$?
fact session "\"rc\":$RC,\"out\":$(json_str "$OUT"),\"kernel_sessions\":$(json_str "$(ls /sys/class/iscsi_session 2>/dev/null | tr '\n' ' ')"),\"dev\":$(json_str "$DEV")"

OUT=$(adm -m node -T "$TSI_TARGET" -p "$TSI_PORTAL" -I "$IFACE" -u 2>&1); RC=$?
fact logout "\"rc\":$RC,\"out\":$(json_str "$OUT")"

kill -TERM $DPID 2>/dev/null
for i in $(seq 1 100); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
kill -0 $DPID 2>/dev/null && kill -KILL $DPID
# the daemon's last log lines, short (long console lines are slow under TCG)
fact daemon-log "\"tail\":$(json_str "$(tail -n 5 /tmp/tsiscsid.log | cut -c1-300)")"
