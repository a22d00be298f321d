#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Ganglion (apt toolchain, npm packages); a no-op when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
say() { [ $quiet = 1 ] || echo "setup: $*"; }

# avr toolchain + avrdude: firmware; simavr + arduino-core-avr: the Optiboot flashing test; clang: the firmware fuzzer;
# libclang-rt-14-dev: the fuzzer and ASan runtimes (only a Recommends of clang, which setup does not pull in);
# socat: pty tests; udev: SerialPort.list(); chromium + mosquitto: browser and external-broker tests.
APT_PACKAGES="make gcc gcc-avr avr-libc binutils-avr avrdude simavr libsimavr-dev libelf-dev arduino-core-avr clang libclang-rt-14-dev socat udev chromium mosquitto openssl"
missing=()
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  if ! command -v apt-get >/dev/null; then
    echo "setup: apt-get not found: install these packages with your package manager: ${missing[*]}" >&2; exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "apt packages present"
fi

# npm ci when node_modules is missing or older than the lockfile, so `npm start` works on a fresh clone.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "npm packages present"
fi

# Self-check: a tool the suite needs that is still missing is named here, in one sentence, not as a linker error later.
bash scripts/check-tools.sh || { echo "setup: a tool the test suite needs is missing (above)" >&2; exit 1; }
say "tools the test suite needs present"
