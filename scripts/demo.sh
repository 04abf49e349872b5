#!/usr/bin/env bash
# The demo, in one command on a fresh Debian machine (as root):
#   installs what is missing and builds (scripts/setup.sh), starts a private tgtd on a
#   free loopback port with two small LUNs (one target behind CHAP), then runs the
#   demo (src/demo/demo.ts): a private `bin/tsiscsid --root <tmp>` driven only through
#   `bin/tsiscsiadm` (discovery, CHAP via -o update, login, -m session -P 3, the LUNs
#   from --json, -m session -s, logout), each command printed before its output.
#   Everything it started is stopped by PID on exit (tsiscsid by the demo, tgtd here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2

work=$(mktemp -d /tmp/tsiscsi-demo.XXXXXX)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# A private management socket keeps this tgtd apart from any other tgtd on the machine
# (tgtd and tgtadm both read TGT_IPC_SOCKET).
export TGT_IPC_SOCKET="$work/tgtd.ipc"
tgtd_pid=""
cleanup() {
  # tgtd ignores SIGTERM while it has targets: stop it by PID with SIGKILL.
  if [ -n "$tgtd_pid" ] && kill -0 "$tgtd_pid" 2>/dev/null; then
    kill -KILL "$tgtd_pid" 2>/dev/null || true
    wait "$tgtd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

tgtd -f --iscsi "portal=127.0.0.1:$port" >"$work/tgtd.log" 2>&1 &
tgtd_pid=$!
for _ in $(seq 1 50); do
  tgtadm --op show --mode sys >/dev/null 2>&1 && break
  sleep 0.1
done
# tgtd falls back to 0.0.0.0:3260 when it cannot bind the portal asked for: refuse that.
if ! tgtadm --lld iscsi --op show --mode portal 2>/dev/null | grep -q "Portal: 127.0.0.1:$port,"; then
  echo "demo: tgtd did not listen on 127.0.0.1:$port (see $work/tgtd.log)" >&2
  cat "$work/tgtd.log" >&2 || true
  exit 1
fi

plain=iqn.2026-11.io.tsiscsi.demo:plain
chap=iqn.2026-11.io.tsiscsi.demo:chap
user=demo
secret=demo-secret-0123
t() { tgtadm --lld iscsi "$@"; }
truncate -s 64M "$work/plain.img"
truncate -s 32M "$work/chap.img"
t --op new --mode target --tid 1 -T "$plain"
t --op new --mode logicalunit --tid 1 --lun 1 -b "$work/plain.img"
t --op bind --mode target --tid 1 -I ALL
t --op new --mode target --tid 2 -T "$chap"
t --op new --mode logicalunit --tid 2 --lun 1 -b "$work/chap.img"
t --op new --mode account --user "$user" --password "$secret"
t --op bind --mode account --tid 2 --user "$user"
t --op bind --mode target --tid 2 -I ALL

echo "# tgtd (pid $tgtd_pid) on 127.0.0.1:$port: $plain (64 MiB), $chap (32 MiB, CHAP user '$user')"
node dist/demo/demo.js --portal "127.0.0.1:$port" --chap "$chap=$user:$secret"
