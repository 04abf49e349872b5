#!/usr/bin/env bash
# Everything CI checks, in one command on a fresh Debian machine (as root):
# setup (packages, Node.js, npm ci, build), then lint, typecheck and the whole test
# suite, unit and integration (private tgtd instances on loopback; see README).
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*" >&2; }
step "npm run lint"
npm run lint --silent
step "npm run typecheck"
npm run typecheck --silent
step "npx vitest run (unit + integration)"
npx --no-install vitest run
if [ -n "${CI:-}" ] || [ "${TSISCSI_E2E:-}" = 1 ]; then step "scripts/e2e.sh (real kernel under qemu; CI or TSISCSI_E2E=1)"; bash scripts/e2e.sh; fi
