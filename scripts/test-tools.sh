#!/usr/bin/env bash
# Installs the Debian tools the test suite drives, only those missing (a no-op once they are there):
#  - chromium: the docs' browser test (driven by playwright-core, which downloads no browser);
#  - binutils, python3-libkdumpfile: readelf checks our ELF decoder, libkdumpfile reads our dump-core files;
#  - xen-utils-4.17: Xen's own verify-stream-v2 checks our Xen migration-stream exports;
#  - time: GNU time (/usr/bin/time -f %M) measures the peak RSS of the command in the bounded-memory tests.
# `npm test` runs it first, so the README's two commands work on a fresh machine of this kind (Debian, root).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v readelf >/dev/null || missing+=(binutils)
[ -x /usr/bin/time ] || missing+=(time)
/usr/bin/python3 -c "import kdumpfile" >/dev/null 2>&1 || missing+=(python3-libkdumpfile)
need_xen=false
ls /usr/lib/xen-*/bin/verify-stream-v2 >/dev/null 2>&1 || need_xen=true
[ ${#missing[@]} -gt 0 ] || $need_xen || exit 0
if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "test-tools: the tests need Debian packages: ${missing[*]} $($need_xen && echo xen-utils-4.17); install them (apt-get, as root)" >&2
  exit 1
fi
echo "test-tools: installing ${missing[*]} $($need_xen && echo xen-utils-4.17)" >&2
apt-get update -qq >/dev/null
export DEBIAN_FRONTEND=noninteractive
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq "${missing[@]}" >/dev/null
# Without its recommends: the verifier needs Xen's Python tools, not QEMU.
! $need_xen || apt-get install -y -qq --no-install-recommends xen-utils-4.17 >/dev/null
