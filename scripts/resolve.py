#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nkvm: choose the Debian kernel versions to build and boot against.

scripts/versions names the preferred (pinned) kernel ABI, package version and
linux-kbuild-6.1 version per architecture.  Debian replaces packages under us:
linux-kbuild-6.1 is not ABI-versioned, so each security update removes the
previous revision, and old ABIs are eventually dropped.  This program reads
what the registry (and the download cache) offers, as `apt-cache madison`
lines, and picks:

  1. the pinned ABI at the pinned package version, if it is offered;
  2. else the pinned ABI at the newest version offered for it;
  3. else the newest ABI of the same series (6.1.0-N: the largest N;
     6.12.N+deb12: the largest N);

where a candidate counts only if linux-image-<ABI>-<flavour> and
linux-headers-<ABI>-<flavour> (for the target architecture) and
linux-headers-<ABI>-common are all offered at that version, and a kbuild
package for the build machine with the same upstream kernel version exists
(linux-kbuild-6.1 for the 6.1.0-N ABIs; the 6.12 kernels of Debian 12 name
theirs after the ABI: linux-kbuild-6.12.N+deb12).  Among those kbuild
revisions the pinned one wins, else the newest.

usage: resolve.py --arch DEBARCH --flavour F --abi ABI --pkg VER --kbuild VER
                  [--label NAME] [--build-arch amd64] [LISTING...]
Reads the listings (default: standard input).  Prints KABI=, KPKG=, KBUILD=
lines and one NOTE= line per deviation from the pins on standard output;
exits 1 with one error line on standard error when nothing fits.
"""

import argparse
import functools
import re
import sys

# The two ABI name forms: 6.1.0-56 (series 6.1.0, number 56) and
# 6.12.118+deb12 (series 6.12.N+deb12, number 118).
ABI_61 = re.compile(r'^(\d+\.\d+\.\d+)-(\d+)$')
ABI_DEB = re.compile(r'^(\d+\.\d+)\.(\d+)\+(deb\d+)$')


def parse_abi(abi):
    """(series, number) of an ABI name, or None when it is neither form."""
    m = ABI_61.match(abi)
    if m:
        return m.group(1), int(m.group(2))
    m = ABI_DEB.match(abi)
    if m:
        return '%s.N+%s' % (m.group(1), m.group(3)), int(m.group(2))
    return None


def kbuild_pkg(abi):
    """The kbuild package that builds modules for ABI."""
    if '+' in abi:
        return 'linux-kbuild-' + abi
    return 'linux-kbuild-' + '.'.join(abi.split('.')[:2])


# ---- Debian version ordering (Debian Policy 5.6.12) ----

def _order(c):
    """Sort weight of one character of a non-digit run."""
    if c == '~':
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _cmp_part(a, b):
    """Compare two upstream or revision strings."""
    i = j = 0
    while i < len(a) or j < len(b):
        # the non-digit prefixes, character by character ('' sorts as 0)
        while (i < len(a) and not a[i].isdigit()) or \
              (j < len(b) and not b[j].isdigit()):
            ca = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            cb = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ca != cb:
                return -1 if ca < cb else 1
            if i < len(a) and not a[i].isdigit():
                i += 1
            if j < len(b) and not b[j].isdigit():
                j += 1
        # then the digit runs, as numbers
        si = i
        while i < len(a) and a[i].isdigit():
            i += 1
        sj = j
        while j < len(b) and b[j].isdigit():
            j += 1
        na = int(a[si:i] or 0)
        nb = int(b[sj:j] or 0)
        if na != nb:
            return -1 if na < nb else 1
    return 0


def _split(v):
    epoch, _, rest = v.partition(':') if ':' in v else ('0', '', v)
    if '-' in rest:
        up, _, rev = rest.rpartition('-')
    else:
        up, rev = rest, ''
    return int(epoch or 0), up, rev


def vercmp(a, b):
    """<0, 0, >0 as Debian version a sorts before, with, after b."""
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _cmp_part(ua, ub) or _cmp_part(ra, rb)


def upstream(v):
    """The upstream kernel version of a Debian version: 6.1.192-3 -> 6.1.192."""
    return _split(v)[1]


def newest(versions):
    return max(versions, key=functools.cmp_to_key(vercmp)) if versions else None


# ---- the listing ----

def parse_listing(lines):
    """Yield (name, version, arch) from `apt-cache madison` lines.

    "linux-image-6.1.0-56-arm64:arm64 | 6.1.192-2 | http://... arm64 Packages"
    The architecture is the word before "Packages" in the source column (the
    cache lists its files the same way); foreign names carry ":arch".
    """
    for line in lines:
        cols = [c.strip() for c in line.split('|')]
        if len(cols) < 3 or not cols[0] or not cols[1]:
            continue
        name = cols[0].split(':', 1)[0]
        words = cols[2].split()
        arch = words[-2] if len(words) >= 2 and words[-1] == 'Packages' else None
        if arch is None and ':' in cols[0]:
            arch = cols[0].split(':', 1)[1]
        yield name, cols[1], arch


class Offer:
    """What the listing offers for one target architecture."""

    def __init__(self, lines, debarch, flavour, build_arch):
        self.image = {}     # abi -> set of versions
        self.headers = {}
        self.common = {}
        self.kbuild = {}    # kbuild package name -> set of versions
        pre_i, pre_h = 'linux-image-', 'linux-headers-'
        suf = '-' + flavour
        for name, ver, arch in parse_listing(lines):
            if name.startswith('linux-kbuild-'):
                if arch in (None, build_arch):
                    self.kbuild.setdefault(name, set()).add(ver)
                continue
            for pre, table in ((pre_i, self.image), (pre_h, self.headers)):
                if name.startswith(pre) and name.endswith(suf):
                    abi = name[len(pre):-len(suf)]
                    if parse_abi(abi) and arch in (None, debarch):
                        table.setdefault(abi, set()).add(ver)
            if name.startswith(pre_h) and name.endswith('-common'):
                abi = name[len(pre_h):-len('-common')]
                if parse_abi(abi):
                    self.common.setdefault(abi, set()).add(ver)

    def versions(self, abi):
        """Versions at which image, headers and common of ABI are all offered."""
        return (self.image.get(abi, set()) & self.headers.get(abi, set()) &
                self.common.get(abi, set()))

    def kbuilds(self, abi, ver):
        """Versions of ABI's kbuild package with the upstream version of VER."""
        up = upstream(ver)
        return {k for k in self.kbuild.get(kbuild_pkg(abi), ())
                if upstream(k) == up}

    def usable(self, abi):
        return {v for v in self.versions(abi) if self.kbuilds(abi, v)}

    def abis(self):
        return set(self.image) | set(self.headers) | set(self.common)


def resolve(offer, pin_abi, pin_pkg, pin_kbuild):
    """Return (abi, pkg, kbuild, notes) or raise LookupError."""
    notes = []
    if not parse_abi(pin_abi):
        raise LookupError("pinned ABI '%s' is not of the form X.Y.Z-N or "
                          "X.Y.N+debD" % pin_abi)
    series = parse_abi(pin_abi)[0]
    kb_name = kbuild_pkg(pin_abi)

    if pin_pkg in offer.usable(pin_abi):
        abi, pkg = pin_abi, pin_pkg
    elif offer.usable(pin_abi):
        abi, pkg = pin_abi, newest(offer.usable(pin_abi))
        notes.append('kernel %s: pinned version %s is not offered, using %s'
                     % (pin_abi, pin_pkg, pkg))
    else:
        same = [a for a in offer.abis()
                if parse_abi(a)[0] == series and offer.usable(a)]
        if not same:
            raise LookupError(
                'no kernel of series %s is offered with image, headers, common '
                'headers and a %s of the same upstream version (pinned %s %s; '
                'offered ABIs: %s; %s: %s)'
                % (series, kb_name, pin_abi, pin_pkg,
                   ' '.join(sorted(offer.abis())) or 'none', kb_name,
                   ' '.join(sorted(offer.kbuild.get(kb_name, ()))) or 'none'))
        abi = max(same, key=lambda a: parse_abi(a)[1])
        pkg = newest(offer.usable(abi))
        why = 'is gone' if not offer.versions(pin_abi) else \
            'has no %s %s' % (kb_name, upstream(pin_pkg))
        notes.append('kernel ABI %s (%s) %s, using the newest ABI of series '
                     '%s: %s (%s)' % (pin_abi, pin_pkg, why, series, abi, pkg))

    kbs = offer.kbuilds(abi, pkg)
    if pin_kbuild in kbs:
        kbuild = pin_kbuild
    else:
        kbuild = newest(kbs)
        using = kbuild if kbuild_pkg(abi) == kb_name else \
            '%s %s' % (kbuild_pkg(abi), kbuild)
        notes.append('%s %s is not offered, using %s (upstream %s, as the '
                     'headers)' % (kb_name, pin_kbuild, using, upstream(pkg)))
    return abi, pkg, kbuild, notes


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--arch', required=True, help='Debian architecture')
    ap.add_argument('--flavour', required=True)
    ap.add_argument('--abi', required=True)
    ap.add_argument('--pkg', required=True)
    ap.add_argument('--kbuild', required=True)
    ap.add_argument('--build-arch', default='amd64')
    ap.add_argument('--label', default=None)
    ap.add_argument('listing', nargs='*')
    a = ap.parse_args(argv)
    lines = []
    if a.listing:
        for f in a.listing:
            with open(f, encoding='utf-8') as fh:
                lines += fh.read().splitlines()
    else:
        lines = sys.stdin.read().splitlines()
    offer = Offer(lines, a.arch, a.flavour, a.build_arch)
    try:
        abi, pkg, kbuild, notes = resolve(offer, a.abi, a.pkg, a.kbuild)
    except LookupError as e:
        print('nkvm: error: %s: %s' % (a.label or a.arch, e), file=sys.stderr)
        return 1
    print('KABI=%s' % abi)
    print('KPKG=%s' % pkg)
    print('KBUILD=%s' % kbuild)
    for n in notes:
        print('NOTE=%s: %s' % (a.label or a.arch, n))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
