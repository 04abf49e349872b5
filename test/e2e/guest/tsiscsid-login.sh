# Runs INSIDE the test VM (see test/e2e/vm/init): the host's node + this repo over 9p,
# cwd = the repo, env TSI_PORTAL (host tgtd as seen from the guest), TSI_TARGET.
# Facts are `TSI-JSON` lines; the host-side test (test/e2e/kernel-login.e2e.ts) asserts
# and reacts to some steps (await-offline, before-restart, after-restart).
#
# With the default iface (transport tcp) and iscsi_tcp loaded, tsiscsid takes the kernel
# data path: login on its socket, hand-over to the kernel, /dev/sdX. Steps, ONE boot:
#   daemon, discovery, node-new, login, session (+disk), io (dd write / read back /
#   compare, O_DIRECT), p3 (-m session -P 3), stats (-m session -s), await-offline ->
#   recovery (host drops the connection and offlines the target, then onlines it; the
#   kernel reports CONN_ERROR, the daemon re-binds), io-after-recovery, before-restart,
#   restart (SIGTERM: the kernel session stays; new daemon adopts it), after-restart,
#   io-after-adopt, logout, after-logout (disk gone), daemon-log.
R=/tmp/tsi
IFACE=${TSI_IFACE:-default}
fact() { printf 'TSI-JSON {"step":"%s"%s}\n' "$1" "${2:+,$2}"; }
# JSON string of $1 (backslash, quote, tab and newline escaped; other control characters dropped)
json_str() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g; s/\t/\\t/g' | tr -d '\000-\011\013-\037' | sed ':a;N;$!ba;s/\n/\\n/g')"
}
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk "BEGIN{print $(up)-$1}"; }
adm() { TSISCSI_ROOT=$R timeout 120 node bin/tsiscsiadm "$@"; }
sessions() { ls /sys/class/iscsi_session 2>/dev/null | tr '\n' ' '; }
sstate() { cat /sys/class/iscsi_session/$1/state 2>/dev/null; }
# the daemon's log messages matching $1 (just the "msg" texts; long console lines are slow under TCG)
msgs() { grep -oE '"msg":"[^"]*"' /tmp/tsiscsid.log | grep -E "$1" | tail -n 8 | sed 's/^"msg":"//; s/"$//' | cut -c1-200; }
start_daemon() {
	node bin/tsiscsid --root $R -f -n >>/tmp/tsiscsid.log 2>&1 &
	DPID=$!
	for i in $(seq 1 300); do [ -S $R/run/tsiscsi/tsiscsid.sock ] && break; sleep 0.1; done
}
stop_daemon() {
	kill -TERM $DPID 2>/dev/null
	for i in $(seq 1 150); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
	kill -0 $DPID 2>/dev/null && kill -KILL $DPID
	rm -f $R/run/tsiscsi/tsiscsid.sock
}
# read back the first MiB of the disk and compare with the pattern
verify() { dd if=/dev/$DEV of=/tmp/back bs=64k count=16 iflag=direct 2>/dev/null && [ "$(md5sum </tmp/back)" = "$(md5sum </tmp/pat)" ] && echo true || echo false; }

# (node starts slowly under TCG over 9p: write the initiator name instead of --generate-initiatorname)
mkdir -p $R/etc/tsiscsi
echo "InitiatorName=iqn.2026-11.test.tsiscsi:guest" >$R/etc/tsiscsi/initiatorname.iscsi

T0=$(up)
start_daemon
fact daemon "\"pid\":$DPID,\"socket\":$([ -S $R/run/tsiscsi/tsiscsid.sock ] && echo true || echo false),\"start_s\":$(since $T0)"

# Through qemu's NAT, SendTargets answers the target's own portal (127.0.0.1:PORT on the
# host), which the guest cannot reach: record the node for the NATed portal by hand.
OUT=$(adm -m discovery -t st -p "$TSI_PORTAL" 2>&1); RC=$?
fact discovery "\"rc\":$RC,\"out\":$(json_str "$OUT")"
OUT=$(adm -m node -o new -T "$TSI_TARGET" -p "$TSI_PORTAL" -I "$IFACE" 2>&1); RC=$?
fact node-new "\"rc\":$RC,\"out\":$(json_str "$OUT")"

T0=$(up)
OUT=$(adm -m node -T "$TSI_TARGET" -p "$TSI_PORTAL" -I "$IFACE" -l 2>&1); RC=$?
fact login "\"rc\":$RC,\"out\":$(json_str "$OUT"),\"s\":$(since $T0)"

DEV=
SESS=$(ls /sys/class/iscsi_session 2>/dev/null | head -n 1)
if [ -n "$SESS" ]; then
	for i in $(seq 1 100); do
		for d in /sys/class/iscsi_session/$SESS/device/target*/*/block/*; do
			[ -e "$d" ] && DEV=$(basename "$d") && break 2
		done
		sleep 0.1
	done
fi
OUT=$(adm -m session 2>&1); RC=$?
fact session "\"rc\":$RC,\"out\":$(json_str "$OUT"),\"kernel_sessions\":$(json_str "$(sessions)"),\"dev\":$(json_str "$DEV"),\"state\":$(json_str "$(sstate $SESS)")"

if [ -n "$DEV" ] && [ -b /dev/$DEV ]; then
	head -c 1048576 /dev/urandom >/tmp/pat
	dd if=/tmp/pat of=/dev/$DEV bs=64k oflag=direct 2>/dev/null; WRC=$?
	fact io "\"write_rc\":$WRC,\"same\":$(verify),\"bytes\":1048576,\"size\":$(cat /sys/class/block/$DEV/size 2>/dev/null || echo 0)"
fi

OUT=$(adm -m session -P 3 2>&1); RC=$?
fact p3 "\"rc\":$RC,\"out\":$(json_str "$OUT")"
OUT=$(adm -m session -s 2>&1); RC=$?
fact stats "\"rc\":$RC,\"out\":$(json_str "$OUT")"

# Recovery: the host drops the connection with the target offline, then onlines it.
fact await-offline "\"sess\":$(json_str "$SESS")"
T0=$(up); FAILED=false; BACK=false
for i in $(seq 1 300); do [ "$(sstate $SESS)" = FAILED ] && FAILED=true && break; sleep 0.1; done
TF=$(since $T0)
for i in $(seq 1 900); do [ "$(sstate $SESS)" = LOGGED_IN ] && BACK=true && break; sleep 0.1; done
fact recovery "\"failed_seen\":$FAILED,\"failed_after_s\":$TF,\"logged_in_again\":$BACK,\"s\":$(since $T0),\"sessions\":$(json_str "$(sessions)"),\"log\":$(json_str "$(msgs 'connection|recovered|re-bound|re-login')")"
[ -n "$DEV" ] && fact io-after-recovery "\"same\":$(verify)"
OUT=$(adm -m session -P 1 2>&1)
fact p1-after-recovery "\"out\":$(json_str "$OUT")"

# Restart: the kernel session outlives the daemon; the new daemon adopts it without a login.
fact before-restart "\"sessions\":$(json_str "$(sessions)")"
stop_daemon
fact stopped "\"sessions\":$(json_str "$(sessions)"),\"state\":$(json_str "$(sstate $SESS)"),\"dev_present\":$([ -b /dev/$DEV ] && echo true || echo false)"
T0=$(up)
start_daemon
OUT=$(adm -m session 2>&1); RC=$?
fact after-restart "\"rc\":$RC,\"out\":$(json_str "$OUT"),\"s\":$(since $T0),\"log\":$(json_str "$(msgs 'adopt|operational')")"
sleep 4
[ -n "$DEV" ] && fact io-after-adopt "\"same\":$(verify)"

OUT=$(adm -m node -T "$TSI_TARGET" -p "$TSI_PORTAL" -I "$IFACE" -u 2>&1); RC=$?
fact logout "\"rc\":$RC,\"out\":$(json_str "$OUT")"
for i in $(seq 1 50); do [ -n "$DEV" ] && [ -b /dev/$DEV ] || break; sleep 0.1; done
fact after-logout "\"dev_present\":$([ -n "$DEV" ] && [ -b /dev/$DEV ] && echo true || echo false),\"sessions\":$(json_str "$(sessions)")"

stop_daemon
# the daemon's last log lines, short (long console lines are slow under TCG)
fact daemon-log "\"tail\":$(json_str "$(msgs . | tail -n 12)")"
