# nkvm: helpers shared by the scripts in this directory (sourced, not run).
# shellcheck shell=bash

NKVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NKVM_SCRIPTS=$NKVM_ROOT/scripts
# shellcheck source=versions
. "$NKVM_SCRIPTS/versions"
NKVM_CACHE=${NKVM_CACHE:-$NKVM_CACHE_DEFAULT}
NKVM_EMU_LOCK=${NKVM_EMU_LOCK:-/tmp/nkvm-emulator.lock}
export NKVM_CACHE

die() { echo "nkvm: error: $*" >&2; exit 1; }
note() { echo "nkvm: $*" >&2; }

# as_root CMD...: run CMD as root (sudo when not root).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root for: $*"; fi
}

# quietly LOGFILE CMD...: run CMD with output to LOGFILE; on failure show its tail and fail.
quietly() {
	local log=$1; shift
	if ! "$@" >"$log" 2>&1; then
		echo "nkvm: command failed: $*" >&2
		echo "----- last lines of $log -----" >&2
		tail -n 40 "$log" >&2
		echo "-----" >&2
		return 1
	fi
}

# apt_install PKG[=VERSION]...: install with the host's apt-get (no recommends),
# reading the package lists anew once when they are missing or the install fails.
apt_install() {
	local log try
	log=$(mktemp /tmp/nkvm-apt.XXXXXX.log)
	note "installing: $*"
	for try in 1 2; do
		if [ $try -eq 2 ] || ! compgen -G '/var/lib/apt/lists/*Packages*' >/dev/null; then
			as_root apt-get update -q >"$log" 2>&1 ||
				{ cat "$log" >&2; rm -f "$log"; die "apt-get update failed"; }
		fi
		# Another apt/dpkg run (a parallel script, unattended upgrades) holds the
		# dpkg lock for a while: wait for it rather than fail.
		if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				-o DPkg::Lock::Timeout=600 --no-install-recommends "$@" >"$log" 2>&1; then
			rm -f "$log"; return 0
		fi
	done
	tail -n 30 "$log" >&2; rm -f "$log"
	die "apt-get install failed for: $*"
}

# nkvm_series: check KVER_SERIES (6.1, the default, or 6.12) and set
#   KSERIES    6.1 or 6.12
#   NKVM_TAG   "" for 6.1, "-6.12" for 6.12: appended to the names of what differs
#              between the series (build/x86_64-6.12, build/check-6.12, the version
#              record), so the two can be built and tested side by side.
nkvm_series() {
	KSERIES=${KVER_SERIES:-6.1}
	case "$KSERIES" in
	6.1)  NKVM_TAG= ;;
	6.12) NKVM_TAG=-6.12 ;;
	*) die "KVER_SERIES must be 6.1 or 6.12, not '$KSERIES'" ;;
	esac
}

# nkvm_arch ARG: set the per-arch variables for x86_64|arm64|s390 (and aliases).
#   ARCH_N     nkvm name (x86_64 arm64 s390)        KARCH   kernel make ARCH
#   DEBARCH    Debian architecture                  CROSS   CROSS_COMPILE prefix
#   KABI KFLAVOUR KPKG KBUILD                       KREL    kernel release (KABI-KFLAVOUR)
#   GUEST_ARCH value of ARCH= in the payload env (x86_64 arm64 s390x)
#   PIN_KABI PIN_KPKG PIN_KBUILD  what scripts/versions pins; KABI KPKG KBUILD are the
#              versions in use (nkvm_versions below), the pins whenever they can be had.
#   KBUILD_PKG the kbuild package of KABI (linux-kbuild-6.1, linux-kbuild-6.12.N+deb12)
#   SYSROOT    1: the headers are unpacked into the cache (cross builds, and x86_64
#              6.12, whose headers package would install its kernel on the host);
#              0: x86_64 6.1, whose headers apt installs on the host
#   KSERIES NKVM_TAG  see nkvm_series (KVER_SERIES=6.12 is x86_64 only)
nkvm_arch() {
	case "${1:-}" in
	x86_64|x86|amd64)	ARCH_N=x86_64; KARCH=x86;   DEBARCH=amd64; CROSS=;                  GUEST_ARCH=x86_64 ;;
	arm64|aarch64)		ARCH_N=arm64;  KARCH=arm64; DEBARCH=arm64; CROSS=aarch64-linux-gnu-; GUEST_ARCH=arm64 ;;
	s390|s390x)		ARCH_N=s390;   KARCH=s390;  DEBARCH=s390x; CROSS=s390x-linux-gnu-;   GUEST_ARCH=s390x ;;
	*) die "unknown arch '${1:-}' (want x86_64, arm64 or s390)" ;;
	esac
	nkvm_series
	local v sfx=
	if [ "$KSERIES" != 6.1 ]; then
		[ "$ARCH_N" = x86_64 ] || die "KVER_SERIES=$KSERIES is for x86_64 only"
		sfx=_${KSERIES//./_}
	fi
	SYSROOT=1
	[ "$ARCH_N" != x86_64 ] || [ "$KSERIES" != 6.1 ] || SYSROOT=0
	v=NKVM_KABI_$ARCH_N$sfx;     PIN_KABI=${!v}
	v=NKVM_KFLAVOUR_$ARCH_N$sfx; KFLAVOUR=${!v}
	v=NKVM_KPKG_$ARCH_N$sfx;     PIN_KPKG=${!v}
	v=NKVM_KBUILD_$ARCH_N$sfx;   PIN_KBUILD=${!v}
	nkvm_versions
}

# kbuild_pkg ABI: the kbuild package that builds modules for ABI (as resolve.py's):
# 6.1.0-56 -> linux-kbuild-6.1; 6.12.118+deb12 -> linux-kbuild-6.12.118+deb12.
kbuild_pkg() {
	case "$1" in
	*+*) echo "linux-kbuild-$1" ;;
	*) echo "linux-kbuild-${1%.*}" ;;
	esac
}

# ---- which kernel versions: the pins, or what the registry offers now ----
# The choice for an arch is recorded in $NKVM_CACHE/versions/<arch> (with the pins it
# was made from), so every script of a run, and later runs, use the same versions.
# In order:
#   1. the pins, when their downloads are complete in the cache;
#   2. the record, when its downloads are complete in the cache;
#   3. NKVM_OFFLINE=1: the record if there is one, else the pins, without the network;
#   4. scripts/resolve.py over what the registry and the cache offer now (a download
#      is needed anyway), which keeps the pins when it can; written to the record.
# NKVM_RESOLVE=1 goes to 4 at once (`scripts/fetch.sh resolve ARCH`).
# Downloads are cached under $NKVM_CACHE/<KPKG>/<arch>/, by the versions in use.
# The record of KVER_SERIES=6.12 is $NKVM_CACHE/versions/<arch>-6.12.

# kver_upstream VERSION: 6.1.192-3 -> 6.1.192
kver_upstream() { local v=${1#*:}; echo "${v%-*}"; }

# nkvm_cached ABI PKG KBUILD: are the kernel image and headers of these versions
# complete in the cache (x86_64: the headers installed on the host)?
nkvm_cached() {
	local abi=$1 pkg=$2 kb=$3 base=$NKVM_CACHE/$2/$ARCH_N
	[ -e "$base/image/.ok" ] || return 1
	if [ "$SYSROOT" = 0 ]; then
		x86_headers_ok "$abi-$KFLAVOUR" "$pkg" "$kb"
	else
		[ -e "$base/sysroot-$kb/.ok" ]
	fi
}

# host_version PKG: the version of PKG installed on the host, or nothing.
host_version() {
	local s
	s=$(dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null || true)
	case "$s" in "install ok installed "*) echo "${s##* }" ;; esac
}

# x86_headers_ok KREL PKG [KBUILD]: linux-headers-KREL is installed at PKG, with a
# linux-kbuild-6.1 of the same upstream version (at KBUILD exactly, if given).
x86_headers_ok() {
	local k
	[ "$(host_version "linux-headers-$1")" = "$2" ] || return 1
	[ -f "/usr/src/linux-headers-$1/Makefile" ] || return 1
	k=$(host_version linux-kbuild-6.1)
	[ -n "$k" ] && [ "$(kver_upstream "$k")" = "$(kver_upstream "$2")" ] || return 1
	[ -z "${3:-}" ] || [ "$k" = "$3" ]
}

# nkvm_record: "KABI KPKG KBUILD" of ARCH_N's record if it was made from the
# current pins, else nothing.
nkvm_record() {
	local rec=$NKVM_CACHE/versions/$ARCH_N$NKVM_TAG
	[ -f "$rec" ] || return 0
	awk -v pin="$PIN_KABI $PIN_KPKG $PIN_KBUILD" '
		{ i = index($0, "="); v[substr($0, 1, i - 1)] = substr($0, i + 1) }
		END { if (v["PIN"] == pin && v["KABI"] != "" && v["KPKG"] != "" && v["KBUILD"] != "")
			print v["KABI"], v["KPKG"], v["KBUILD"] }' "$rec"
}

# nkvm_versions: set KABI KPKG KBUILD KREL for ARCH_N (see above).
nkvm_versions() {
	local r_abi r_pkg r_kb
	read -r r_abi r_pkg r_kb <<<"$(nkvm_record)" || true
	if [ "${NKVM_RESOLVE:-0}" = 1 ]; then
		nkvm_resolve
	elif nkvm_cached "$PIN_KABI" "$PIN_KPKG" "$PIN_KBUILD"; then
		_nkvm_use "$PIN_KABI" "$PIN_KPKG" "$PIN_KBUILD"
	elif [ -n "$r_abi" ] && nkvm_cached "$r_abi" "$r_pkg" "$r_kb"; then
		_nkvm_use "$r_abi" "$r_pkg" "$r_kb"
	elif [ "${NKVM_OFFLINE:-0}" = 1 ]; then
		if [ -n "$r_abi" ]; then _nkvm_use "$r_abi" "$r_pkg" "$r_kb"
		else _nkvm_use "$PIN_KABI" "$PIN_KPKG" "$PIN_KBUILD"; fi
	else
		nkvm_resolve
	fi
}

_nkvm_use() { KABI=$1; KPKG=$2; KBUILD=$3; KREL=$KABI-$KFLAVOUR; KBUILD_PKG=$(kbuild_pkg "$1"); }

# nkvm_listing: `apt-cache madison` lines for the kernel packages of PIN_KABI's
# series for DEBARCH and their kbuild packages (linux-kbuild-6.1; for 6.12 one per
# ABI), from the registry and from the .debs in the cache (as "cache <arch>
# Packages"). Not the cache for x86_64 6.1: the host's apt installs its headers and
# kbuild, and it can install only what the registry offers.
nkvm_listing() {
	local re names f b n v a
	case "$PIN_KABI" in
	*+*) re=${PIN_KABI%.*+*}; re=${re//./\\.}'\.[0-9]+\+'${PIN_KABI##*+} ;;
	*) re=${PIN_KABI%-*}; re=${re//./\\.}-'[0-9]+' ;;
	esac
	mapfile -t names < <(apt-cache "${NKVM_APT_OPTS[@]}" search --names-only \
		"^linux-(image|headers)-$re-($KFLAVOUR|common)\$" | awk '{print $1}' | sort -u)
	local q=() k
	for n in "${names[@]}"; do
		case "$n" in
		*-common) k=${n#linux-headers-}; q+=("$n" "$(kbuild_pkg "${k%-common}")") ;;
		*) q+=("$n:$DEBARCH") ;;
		esac
	done
	q+=("$(kbuild_pkg "$PIN_KABI")")
	mapfile -t q < <(printf '%s\n' "${q[@]}" | sort -u)
	apt-cache "${NKVM_APT_OPTS[@]}" madison "${q[@]}" 2>/dev/null || true
	[ "$SYSROOT" = 1 ] || return 0
	for f in "$NKVM_DEBS"/linux-*.deb; do
		[ -e "$f" ] || continue
		b=${f##*/}; b=${b%.deb}
		n=${b%%_*}; a=${b##*_}; v=${b#*_}; v=${v%_*}
		echo "$n | $v | cache $a Packages"
	done
}

# nkvm_resolve: choose from what is offered now (scripts/resolve.py), record it.
nkvm_resolve() {
	local rec=$NKVM_CACHE/versions/$ARCH_N$NKVM_TAG out
	[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] && command -v python3 >/dev/null ||
		"$NKVM_SCRIPTS/deps.sh" base >&2
	mkdir -p "$NKVM_CACHE/versions"
	out=$(with_cache_lock _nkvm_resolve_locked) || exit 1
	{
		echo "PIN=$PIN_KABI $PIN_KPKG $PIN_KBUILD"
		echo "$out"
		echo "DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} >"$rec.tmp" && mv "$rec.tmp" "$rec"
	sed -n 's/^NOTE=/nkvm: versions: /p' "$rec" >&2
	# shellcheck disable=SC2046 # three words
	_nkvm_use $(nkvm_record)
}

_nkvm_resolve_locked() {
	_apt_setup
	# Lists older than NKVM_LISTS_MAX_AGE seconds (default an hour) are read anew.
	local st=$NKVM_APTDIR/lists/.stamp age=${NKVM_LISTS_MAX_AGE:-3600}
	if [ ! -e "$st" ] || [ $(($(date +%s) - $(stat -c %Y "$st"))) -gt "$age" ]; then
		_apt_update
	fi
	nkvm_listing >"$NKVM_APTDIR/listing-$ARCH_N"
	python3 "$NKVM_SCRIPTS/resolve.py" --arch "$DEBARCH" --flavour "$KFLAVOUR" \
		--abi "$PIN_KABI" --pkg "$PIN_KPKG" --kbuild "$PIN_KBUILD" --label "$ARCH_N" \
		"$NKVM_APTDIR/listing-$ARCH_N"
}

# ---- private apt configuration (foreign-arch downloads, host dpkg untouched) ----
NKVM_APTDIR=$NKVM_CACHE/apt
NKVM_DEBS=$NKVM_CACHE/debs

_apt_setup() {
	local d=$NKVM_APTDIR mirror=${NKVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	local sec=${NKVM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
	local kr=/usr/share/keyrings/debian-archive-keyring.gpg s=$NKVM_DEBIAN_SUITE
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/sources.list.d" \
		"$d/preferences.d" "$NKVM_DEBS"
	[ -e "$d/status" ] || : >"$d/status"
	[ -r "$kr" ] || die "missing $kr (apt-get install debian-archive-keyring)"
	cat >"$d/sources.list.new" <<-SRC
	deb [arch=amd64,arm64,s390x signed-by=$kr] $mirror $s main
	deb [arch=amd64,arm64,s390x signed-by=$kr] $mirror $s-updates main
	deb [arch=amd64,arm64,s390x signed-by=$kr] $sec $s-security main
	SRC
	if cmp -s "$d/sources.list.new" "$d/sources.list"; then rm -f "$d/sources.list.new"
	else mv "$d/sources.list.new" "$d/sources.list"; rm -rf "$d/lists"; mkdir -p "$d/lists/partial"; fi
	NKVM_APT_OPTS=(
		-o "APT::Architecture=amd64"
		-o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64" -o "APT::Architectures::=s390x"
		-o "Dir::State=$d" -o "Dir::State::Lists=$d/lists" -o "Dir::State::status=$d/status"
		-o "Dir::Cache=$d/cache" -o "Dir::Etc::SourceList=$d/sources.list"
		-o "Dir::Etc::SourceParts=$d/sources.list.d" -o "Dir::Etc::Preferences=$d/preferences"
		-o "Dir::Etc::PreferencesParts=$d/preferences.d" -o "APT::Sandbox::User=root"
		-o "Acquire::Languages=none" -o "Debug::NoLocking=1" -q
	)
}

_apt_update() {
	quietly "$NKVM_APTDIR/update.log" apt-get "${NKVM_APT_OPTS[@]}" update ||
		die "private apt-get update failed (network? mirror ${NKVM_DEBIAN_MIRROR:-http://deb.debian.org/debian})"
	touch "$NKVM_APTDIR/lists/.stamp"
}

# apt_fetch_deb NAME ARCH VERSION VARNAME -> echoes the path of the .deb in the cache.
# VERSION may be empty (newest). VARNAME names the scripts/versions variable for errors.
apt_fetch_deb() {
	local name=$1 arch=$2 ver=$3 var=$4 f spec
	if [ -n "$ver" ]; then
		f=$(ls "$NKVM_DEBS/${name}_${ver#*:}_${arch}.deb" 2>/dev/null || true)
		[ -n "$f" ] && { echo "$f"; return 0; }
		spec="$name:$arch=$ver"
	else
		spec="$name:$arch"
	fi
	_apt_setup
	[ -e "$NKVM_APTDIR/lists/.stamp" ] || _apt_update
	local tries=0
	while :; do
		if (cd "$NKVM_DEBS" && apt-get "${NKVM_APT_OPTS[@]}" download "$spec") \
			>"$NKVM_APTDIR/download.log" 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 2 ]; then
			cat "$NKVM_APTDIR/download.log" >&2
			if [ -n "$ver" ]; then
				[ -n "${ARCH_N:-}" ] && rm -f "$NKVM_CACHE/versions/$ARCH_N${NKVM_TAG:-}"
				die "Debian no longer offers $name ($arch) version $ver ($var)." \
				    "The versions are chosen anew on the next run;" \
				    "'scripts/fetch.sh avail <arch>' lists what the registry has."
			fi
			die "cannot download $name ($arch) from the Debian registry"
		fi
		_apt_update
	done
	if [ -n "$ver" ]; then
		f=$NKVM_DEBS/${name}_${ver#*:}_${arch}.deb
	else
		# newest file of that name
		f=$(ls -t "$NKVM_DEBS/${name}"_*_"${arch}.deb" | head -n1)
	fi
	[ -s "$f" ] || die "apt-get download of $spec left no $f"
	echo "$f"
}

# with_cache_lock CMD...: serialize cache updates between concurrent runs. The holder
# and its children see NKVM_CACHE_LOCKED=1 and do not take the lock again (flock on a
# second open file would wait for ourselves).
with_cache_lock() {
	if [ "${NKVM_CACHE_LOCKED:-0}" = 1 ]; then "$@"; return; fi
	mkdir -p "$NKVM_CACHE"
	exec {_nkvm_lockfd}>"$NKVM_CACHE/.lock"
	flock "$_nkvm_lockfd"
	# Not `"$@" || rc=$?`: that would run CMD with set -e suspended. Under set -e a
	# failing CMD exits here, which also drops the lock.
	export NKVM_CACHE_LOCKED=1
	"$@"
	local rc=$?
	unset NKVM_CACHE_LOCKED
	exec {_nkvm_lockfd}>&-
	return $rc
}

# ---- kernels built from Debian's linux-source-6.1 (debug-kernel.sh, guest-kernel.sh) ----

# linux_source: install linux-source-6.1 and the kernel build tools when missing, and
# unpack the source once per version; sets LSRC_VER (the package version) and LSRC
# ($NKVM_CACHE/<version>/linux-source, shared by every kernel built from it).
linux_source() {
	local tarball=/usr/src/linux-source-6.1.tar.xz
	"$NKVM_SCRIPTS/deps.sh" debug >&2
	[ -f "$tarball" ] || die "linux-source-6.1 is installed but $tarball is missing"
	LSRC_VER=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	LSRC=$NKVM_CACHE/$LSRC_VER/linux-source
	[ -f "$LSRC/.ok" ] || with_cache_lock _linux_source_unpack "$tarball"
}

_linux_source_unpack() {
	[ ! -f "$LSRC/.ok" ] || return 0
	note "unpacking $1"
	rm -rf "$LSRC"; mkdir -p "$LSRC"
	tar -xf "$1" -C "$LSRC" --strip-components=1
	touch "$LSRC/.ok"
}

# kconfig_check FRAGMENT CONFIG LABEL: did every line of FRAGMENT survive into CONFIG?
# "CONFIG_X=v" must be there as is, "# CONFIG_X is not set" must not be set to anything
# (a dependency that is off drops an option silently). Says which did not; status 1 then.
kconfig_check() {
	local frag=$1 cfg=$2 label=$3 line sym bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$cfg" || {
				echo "nkvm: $label: wanted $line, got: $(grep "^${line%%=*}=" "$cfg" || echo unset)" >&2
				bad=1; } ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$cfg" || {
				echo "nkvm: $label: wanted $sym unset, got: $(grep "^$sym=" "$cfg")" >&2
				bad=1; } ;;
		esac
	done <"$frag"
	return $bad
}

# rebuild_opt "$@": the one option of the scripts that build into the cache,
# --rebuild (sets REBUILD=1); anything else is a usage error.
rebuild_opt() {
	REBUILD=0
	case "${1:-}" in
	--rebuild) REBUILD=1 ;;
	"") ;;
	*) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
	esac
}

# kernel_dir NAME FRAGMENT RECIPE: the cache dir of a kernel built from linux-source
# with FRAGMENT (linux_source first): $NKVM_CACHE/<version>/NAME-<hash of both>.
kernel_dir() {
	echo "$NKVM_CACHE/$LSRC_VER/$1-$( (cat "$2"; echo "recipe $3") | sha256sum | cut -c1-12)"
}

# kernel_build LABEL FRAGMENT DIR HOW-LONG TARGETS...: configure DIR/build from
# $LSRC (linux_source) with allnoconfig and FRAGMENT forced, every line of which must
# survive; build TARGETS under nice; copy the bzImage to DIR. The output goes to
# DIR/build.log, the wall time of the build to DIR/build.seconds.
kernel_build() {
	local label=$1 frag=$2 dir=$3 how_long=$4 log t secs
	shift 4
	rm -rf "$dir"; mkdir -p "$dir/build"
	log=$dir/build.log
	note "configuring the $label ($dir)"
	KCONFIG_ALLCONFIG=$frag _kmake "$dir" allnoconfig >"$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "allnoconfig failed for the $label"; }
	kconfig_check "$frag" "$dir/build/.config" "$label" ||
		die "the $label config lost options (a dependency is off); see $frag"
	note "building the $label ($*; $how_long)"
	t=$SECONDS
	_kmake "$dir" "$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "$label build failed (log: $log)"; }
	secs=$((SECONDS - t))
	cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage"
	echo "$secs" >"$dir/build.seconds"
	note "$label built in $secs s ($(_kmake "$dir" -s kernelrelease 2>/dev/null))"
}

_kmake() {
	local dir=$1
	shift
	nice -n 19 make -C "$LSRC" O="$dir/build" ARCH=x86_64 -j"$(nproc 2>/dev/null || echo 2)" "$@"
}

# build_x86_module LOG: make nkvm.ko for x86_64 (output to LOG); status 0 when it built.
build_x86_module() {
	make -j"$(nproc 2>/dev/null || echo 2)" ARCH=x86_64 >"$1" 2>&1 &&
		[ -f "$NKVM_ROOT/build/x86_64/module/nkvm.ko" ]
}
