#!/bin/bash
# nkvm: build the DKMS Debian package (`make deb`) with dpkg-deb, from the files
# git tracks (the module source) and packaging/debian/ (control, maintainer
# scripts, dkms.conf, the modprobe.d, modules-load.d and udev files).
# usage: scripts/mkdeb.sh [out-dir]      (default build/deb)
# Prints the path of build/deb/nkvm-dkms_<version>_all.deb. The version is
# scripts/version.sh --deb; the module's own (modinfo) is scripts/version.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"

out=${1:-$NKVM_ROOT/build/deb}
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (package dpkg)"
deb_ver=$(scripts/version.sh --deb)
mod_ver=$(scripts/version.sh)
pkg=nkvm-dkms
src=/usr/src/nkvm-$deb_ver
in=packaging/debian

stage=$(mktemp -d /tmp/nkvm-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/DEBIAN" "$root$src" "$root/usr/share/doc/$pkg" \
	"$root/lib/modprobe.d" "$root/usr/lib/modules-load.d" "$root/lib/udev/rules.d"

# subst FILE: the placeholders of a packaging file filled in.
subst() {
	sed -e "s|@DEB_VERSION@|$deb_ver|g" -e "s|@MOD_VERSION@|$mod_ver|g" "$1"
}

# The module source as git has it (with the uncommitted changes of the tree).
git ls-files -z Kbuild virt arch include | grep -zv '^include/nkvm/.*kunit' |
	xargs -0 cp --parents -t "$root$src"
subst "$in/dkms.conf" >"$root$src/dkms.conf"
echo "$mod_ver" >"$root$src/VERSION"

install -m 0644 "$in/nkvm.modprobe.conf" "$root/lib/modprobe.d/nkvm.conf"
install -m 0644 "$in/nkvm.modules-load.conf" "$root/usr/lib/modules-load.d/nkvm.conf"
install -m 0644 "$in/60-nkvm.rules" "$root/lib/udev/rules.d/60-nkvm.rules"
years=$(git log --reverse --format=%ad --date=format:%Y | sed -n '1p;$p' | uniq | paste -sd-)
sed "s|@YEARS@|$years|" "$in/copyright" >"$root/usr/share/doc/$pkg/copyright"
{
	echo "$pkg ($deb_ver) unstable; urgency=medium"
	echo
	echo "  * Built from nkvm $mod_ver."
	echo
	echo " -- nkvm developers <dev@nkvm.invalid>  $(git log -1 --format=%aD)"
} | gzip -9n >"$root/usr/share/doc/$pkg/changelog.gz"

for s in postinst prerm postrm; do
	subst "$in/$s" >"$root/DEBIAN/$s"
	chmod 0755 "$root/DEBIAN/$s"
done
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f ! -path "$root/DEBIAN/*" -exec chmod 0644 {} +
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
subst "$in/control" | sed "s|@SIZE@|$size|" >"$root/DEBIAN/control"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/${pkg}_${deb_ver}_all.deb
rm -f "$out/${pkg}"_*_all.deb
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
	dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
