#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP tests of how scripts/lib.sh chooses the kernel versions (nkvm_arch ->
# nkvm_versions): the pins, the record in the cache, NKVM_OFFLINE, and
# scripts/resolve.py over the registry. apt-get and apt-cache are fakes that
# serve a listing from a file and log their calls, so no network is used.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d /tmp/nkvm-versions-test.XXXXXX)
trap 'rm -rf "$t"' EXIT

# ---- the fake registry ----
mkdir -p "$t/bin"
cat >"$t/bin/apt-cache" <<'EOF'
#!/bin/bash
# fake apt-cache: `search --names-only REGEX` and `madison NAME...` over $FAKE_LISTING
echo "apt-cache $*" >>"$FAKE_LOG"
args=()
while [ $# -gt 0 ]; do
	case "$1" in -o) shift 2 ;; -q|--names-only) shift ;; *) args+=("$1"); shift ;; esac
done
case "${args[0]}" in
search) cut -d'|' -f1 "$FAKE_LISTING" | sed 's/ *$//; s/:.*//' | sort -u |
		grep -E "${args[1]}" | sed 's/$/ - fake/' ;;
madison) for n in "${args[@]:1}"; do
		grep -F "$n |" "$FAKE_LISTING" | grep -E "^$n \|" || true
	done ;;
*) exit 100 ;;
esac
EOF
cat >"$t/bin/apt-get" <<'EOF'
#!/bin/bash
echo "apt-get $*" >>"$FAKE_LOG"
case " $* " in *" update "*) exit 0 ;; esac
exit 100
EOF
chmod +x "$t/bin/"*
export PATH=$t/bin:$PATH FAKE_LOG=$t/calls FAKE_LISTING=$t/listing

S=https://deb.example/debian-security
kernel() { # ABI VERSION
	echo "linux-image-$1-arm64:arm64 | $2 | $S bookworm-security/main arm64 Packages"
	echo "linux-headers-$1-arm64:arm64 | $2 | $S bookworm-security/main arm64 Packages"
	echo "linux-headers-$1-common | $2 | $S bookworm-security/main amd64 Packages"
}
kbuild() { echo "linux-kbuild-6.1 | $1 | $S bookworm-security/main amd64 Packages"; }
# The registry on the day of issue 12: kbuild 6.1.192-2 replaced by 6.1.192-3.
today() { kernel 6.1.0-56 6.1.192-2; kernel 6.1.0-57 6.1.192-3; kbuild 6.1.192-3; }

N=0 F=0
ok() { # STATUS NAME [DIAG]: call as `ok $? ...` right after the check (words expand
	# left to right, so $? is taken before any $(...) in DIAG runs)
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $N - $2"
	else F=$((F + 1)); echo "not ok $N - $2"; [ -z "${3:-}" ] || sed 's/^/#   /' <<<"$3"; fi
}

# choose [ENV=V...]: run nkvm_arch arm64 in a fresh shell with the test pins;
# prints "KABI KPKG KBUILD" (stdout), its messages go to $t/err.
choose() {
	: >"$FAKE_LOG"
	env "$@" bash -c '
		. "$1/../lib.sh"
		NKVM_KABI_arm64=6.1.0-56 NKVM_KPKG_arm64=6.1.192-2 NKVM_KBUILD_arm64=6.1.192-2
		nkvm_arch arm64 && echo "$KABI $KPKG $KBUILD $KREL"' _ "$here" 2>"$t/err"
}
reset_cache() { rm -rf "$t/cache"; mkdir -p "$t/cache"; }
export NKVM_CACHE=$t/cache
rec=$t/cache/versions/arm64
calls() { grep -c "^$1" "$FAKE_LOG" || true; }

# 1. empty cache: the registry decides; kbuild 6.1.192-2 is gone, 6.1.192-3 is taken
reset_cache; today >"$FAKE_LISTING"
got=$(choose)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-3 6.1.0-56-arm64" ]
ok $? "empty cache: ABI 56 kept, kbuild 6.1.192-3 taken from the registry" "$got"
grep -q '^nkvm: versions: arm64: linux-kbuild-6.1 6.1.192-2 is not offered, using 6.1.192-3' \
	"$t/err"
ok $? "the change is said in one line" "$(cat "$t/err")"
[ "$(calls 'apt-get.* update')" = 1 ]
ok $? "the lists were read anew once" "$(cat "$FAKE_LOG")"
grep -qx 'PIN=6.1.0-56 6.1.192-2 6.1.192-2' "$rec" && grep -qx 'KBUILD=6.1.192-3' "$rec"
ok $? "the choice is recorded with the pins it was made from" "$(cat "$rec" 2>&1)"

# 2. the recorded versions complete in the cache: used without the registry
mkdir -p "$t/cache/6.1.192-2/arm64/image" "$t/cache/6.1.192-2/arm64/sysroot-6.1.192-3"
touch "$t/cache/6.1.192-2/arm64/image/.ok" "$t/cache/6.1.192-2/arm64/sysroot-6.1.192-3/.ok"
: >"$FAKE_LISTING"
got=$(choose)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-3 6.1.0-56-arm64" ] && [ ! -s "$FAKE_LOG" ]
ok $? "record complete in the cache: used, the registry not asked" "$got; $(cat "$FAKE_LOG")"

# 3. the pins complete in the cache: they win over the record
mkdir -p "$t/cache/6.1.192-2/arm64/sysroot-6.1.192-2"; touch "$t/cache/6.1.192-2/arm64/sysroot-6.1.192-2/.ok"
got=$(choose)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-2 6.1.0-56-arm64" ] && [ ! -s "$FAKE_LOG" ]
ok $? "pins complete in the cache: the pins, the registry not asked" "$got; $(cat "$FAKE_LOG")"

# 4. NKVM_RESOLVE=1 asks the registry even then
today >"$FAKE_LISTING"
got=$(choose NKVM_RESOLVE=1)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-3 6.1.0-56-arm64" ] && [ "$(calls 'apt-cache.* madison')" = 1 ]
ok $? "NKVM_RESOLVE=1: the registry is asked although the pins are cached" "$got; $(cat "$FAKE_LOG")"

# 5. NKVM_OFFLINE=1, nothing cached: the record if any, else the pins; no apt at all
reset_cache
got=$(choose NKVM_OFFLINE=1)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-2 6.1.0-56-arm64" ] && [ ! -s "$FAKE_LOG" ]
ok $? "NKVM_OFFLINE=1 without a record: the pins, no apt call" "$got; $(cat "$FAKE_LOG")"
choose >/dev/null
got=$(choose NKVM_OFFLINE=1)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-3 6.1.0-56-arm64" ] && [ ! -s "$FAKE_LOG" ]
ok $? "NKVM_OFFLINE=1 with a record: the record, no apt call" "$got; $(cat "$FAKE_LOG")"

# 6. a record made from other pins (scripts/versions edited since) is not used
sed -i 's/^PIN=.*/PIN=6.1.0-55 6.1.192-1 6.1.192-1/' "$rec"
got=$(choose NKVM_OFFLINE=1)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-2 6.1.0-56-arm64" ]
ok $? "a record of other pins is ignored" "$got"

# 7. the pinned kbuild still in the download cache: the pin stays
reset_cache; mkdir -p "$t/cache/debs"; : >"$t/cache/debs/linux-kbuild-6.1_6.1.192-2_amd64.deb"
got=$(choose)
[ "$got" = "6.1.0-56 6.1.192-2 6.1.192-2 6.1.0-56-arm64" ] && [ ! -s "$t/err" ]
ok $? "pinned kbuild in the download cache: the pin, no note" "$got; $(cat "$t/err")"

# 8. the pinned ABI gone: the newest of the series, said
reset_cache; { kernel 6.1.0-57 6.1.192-3; kernel 6.1.0-55 6.1.190-1; kbuild 6.1.192-3; kbuild 6.1.190-1; } >"$FAKE_LISTING"
got=$(choose)
[ "$got" = "6.1.0-57 6.1.192-3 6.1.192-3 6.1.0-57-arm64" ]
ok $? "pinned ABI gone: 6.1.0-57 and its release name" "$got"
grep -q 'kernel ABI 6.1.0-56 (6.1.192-2) is gone, using the newest ABI of series 6.1.0: 6.1.0-57 (6.1.192-3)' \
	"$t/err"
ok $? "pinned ABI gone: said in one line" "$(cat "$t/err")"
[ -f "$t/cache/versions/arm64" ] && grep -qx 'KABI=6.1.0-57' "$rec"
ok $? "pinned ABI gone: recorded" \
	"$(cat "$rec" 2>&1)"

# 9. nothing fits: nkvm_arch fails with one error line
reset_cache; kbuild 6.1.192-3 >"$FAKE_LISTING"
rc=0; got=$(choose) || rc=$?
[ $rc -ne 0 ] && [ -z "$got" ] && grep -q '^nkvm: error: arm64: no kernel of series 6.1.0' "$t/err" &&
	[ ! -e "$rec" ]
ok $? "nothing fits: an error, no record" "rc=$rc $got; $(cat "$t/err")"

# 10. with_cache_lock: a failing command in the locked function still ends the
# script under set -e, and the holder (or its child) may lock again without waiting.
out=$(NKVM_CACHE=$t/lk bash -c 'set -e; . "$1/../lib.sh"; f() { false; echo on; }
	with_cache_lock f; echo after' _ "$here" 2>&1)
[ -z "$out" ]
ok $? "with_cache_lock: set -e still ends the script on a failing command" "$out"
out=$(NKVM_CACHE=$t/lk LIB=$here/../lib.sh timeout 20 bash -c '. "$LIB"
	f() { LIB=$LIB bash -c ". \"\$LIB\"; with_cache_lock echo inner"; }
	with_cache_lock f' 2>&1)
[ "$out" = inner ]
ok $? "with_cache_lock: the holder's child takes it again without waiting" "$out"

echo "1..$N"
[ $F -eq 0 ]
