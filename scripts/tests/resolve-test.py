#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TAP tests of scripts/resolve.py: fake `apt-cache madison` listings in, the
chosen kernel versions and notes out.  Run: scripts/tests/resolve-test.py"""

import io
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESOLVE = os.path.join(HERE, '..', 'resolve.py')
sys.path.insert(0, os.path.join(HERE, '..'))
import resolve  # noqa: E402

SEC = 'http://deb.debian.org/debian-security bookworm-security/main'
MAIN = 'http://deb.debian.org/debian bookworm/main'


def kernel(abi, ver, arch, flavour=None, suite=SEC, foreign=None):
    """madison lines for image, headers and common of one ABI, as apt prints
    them: foreign architectures carry ':arch', arch-all packages are listed
    once per architecture."""
    flavour = flavour or arch
    q = ':' + arch if (foreign if foreign is not None else arch != 'amd64') else ''
    out = []
    for p in ('linux-image', 'linux-headers'):
        out.append('%s-%s-%s%s | %s | %s %s Packages'
                   % (p, abi, flavour, q, ver, suite, arch))
    for a in ('amd64', 'arm64', 's390x'):
        out.append('linux-headers-%s-common | %s | %s %s Packages'
                   % (abi, ver, suite, a))
    return out


def kbuild(ver, arch='amd64', suite=SEC):
    return ['linux-kbuild-6.1 | %s | %s %s Packages' % (ver, suite, arch)]


# What the registry offered on 2026-12-07, when issue 12 was filed: kbuild
# 6.1.192-2 had been replaced by 6.1.192-3 (kbuild is not ABI-versioned).
TODAY = (kbuild('6.1.192-3') + kbuild('6.1.176-1', suite=MAIN) +
         kernel('6.1.0-56', '6.1.192-2', 'arm64') +
         kernel('6.1.0-57', '6.1.192-3', 'arm64') +
         kernel('6.1.0-50', '6.1.176-1', 'arm64', suite=MAIN) +
         kernel('6.1.0-56', '6.1.192-2', 'amd64') +
         kernel('6.1.0-57', '6.1.192-3', 'amd64') +
         kernel('6.1.0-47', '6.1.170-3', 's390x', suite=MAIN) +
         kernel('6.1.0-50', '6.1.176-1', 's390x', suite=MAIN))

n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, name))
    if not cond:
        failed += 1
        if diag is not None:
            for line in str(diag).splitlines():
                print('#   ' + line)


def pick(lines, arch, abi, pkg, kb, flavour=None):
    offer = resolve.Offer(lines, arch, flavour or arch, 'amd64')
    return resolve.resolve(offer, abi, pkg, kb)


def expect(name, lines, arch, pins, want, note_has=(), flavour=None):
    """want: (abi, pkg, kbuild); note_has: substrings, one per expected note."""
    try:
        abi, pkg, kb, notes = pick(lines, arch, *pins, flavour=flavour)
    except LookupError as e:
        ok(False, name, 'LookupError: %s' % e)
        return
    got = (abi, pkg, kb)
    good = got == want and len(notes) == len(note_has) and \
        all(any(s in x for x in notes) for s in note_has)
    ok(good, name, 'got %s notes %s, want %s notes with %s'
       % (got, notes, want, list(note_has)))


def main():
    # ---- Debian version ordering ----
    cmp = resolve.vercmp
    for a, b, want in (('6.1.192-3', '6.1.192-2', 1),
                       ('6.1.192-10', '6.1.192-9', 1),
                       ('6.1.99-1', '6.1.192-1', -1),
                       ('6.1.192-2', '6.1.192-2', 0),
                       ('1.0~rc1-1', '1.0-1', -1),
                       ('1:0.1-1', '9.9-1', 1),
                       ('6.1.192-2+deb12u1', '6.1.192-2', 1),
                       ('6.1.192-2~bpo11+1', '6.1.192-2', -1)):
        got = cmp(a, b)
        got = (got > 0) - (got < 0)
        ok(got == want, 'vercmp(%s, %s) = %d' % (a, b, want), 'got %d' % got)
    # every pair of these against dpkg itself, where there is a dpkg
    vs = ['6.1.192-2', '6.1.192-10', '1:1.0', '1.0~rc1-1', '1.0a-1', '1.0+b1', '1.0.0-1',
          '1.0-1~bpo', '2.0~~', '2.0~', '2.0', '2.0-0', '2.0a', '2.0+', '2.0.', '1:2.0-1']
    if shutil.which('dpkg'):
        bad = []
        for a in vs:
            for b in vs:
                mine = cmp(a, b)
                mine = (mine > 0) - (mine < 0)
                rel = {-1: 'lt', 0: 'eq', 1: 'gt'}[mine]
                if subprocess.run(['dpkg', '--compare-versions', a, rel, b]).returncode:
                    bad.append((a, rel, b))
        ok(not bad, 'vercmp agrees with dpkg --compare-versions on %d pairs' % len(vs) ** 2,
           bad)
    else:
        print('ok %d - vercmp agrees with dpkg # SKIP no dpkg' % (n + 1))
        globals()['n'] += 1
    ok(resolve.upstream('6.1.192-3') == '6.1.192', 'upstream(6.1.192-3) = 6.1.192')
    ok(resolve.upstream('1:6.1.76-1+b1') == '6.1.76', 'upstream(1:6.1.76-1+b1) = 6.1.76')

    # ---- the listing parser ----
    rows = list(resolve.parse_listing(kernel('6.1.0-56', '6.1.192-2', 'arm64')[:1] +
                                      ['garbage', '', ' a | | b']))
    ok(rows == [('linux-image-6.1.0-56-arm64', '6.1.192-2', 'arm64')],
       'parse_listing: strips ":arch", takes the arch from the source, skips junk', rows)

    # ---- the three cases the issue names ----
    # 1. pinned present: everything as scripts/versions says, no note
    lines = TODAY + kbuild('6.1.192-2')
    expect('pinned present: arm64 keeps 6.1.0-56 6.1.192-2 kbuild 6.1.192-2',
           lines, 'arm64', ('6.1.0-56', '6.1.192-2', '6.1.192-2'),
           ('6.1.0-56', '6.1.192-2', '6.1.192-2'))
    expect('pinned present: s390x keeps 6.1.0-50 6.1.176-1 kbuild 6.1.176-1',
           TODAY, 's390x', ('6.1.0-50', '6.1.176-1', '6.1.176-1'),
           ('6.1.0-50', '6.1.176-1', '6.1.176-1'))
    # 2. only another revision of the pinned kbuild: that one, same ABI, a note
    expect('only another kbuild revision: arm64 keeps ABI 56, kbuild 6.1.192-3',
           TODAY, 'arm64', ('6.1.0-56', '6.1.192-2', '6.1.192-2'),
           ('6.1.0-56', '6.1.192-2', '6.1.192-3'), ['linux-kbuild-6.1 6.1.192-2 is not offered'])
    expect('only another kbuild revision: amd64 likewise',
           TODAY, 'amd64', ('6.1.0-56', '6.1.192-2', '6.1.192-2'),
           ('6.1.0-56', '6.1.192-2', '6.1.192-3'), ['6.1.192-3'])
    # 3. pinned ABI gone: the newest ABI of the series, said in one line
    gone = [x for x in TODAY if '6.1.0-56' not in x]
    expect('pinned ABI gone: arm64 takes the newest ABI 6.1.0-57 (6.1.192-3)',
           gone, 'arm64', ('6.1.0-56', '6.1.192-2', '6.1.192-2'),
           ('6.1.0-57', '6.1.192-3', '6.1.192-3'),
           ['kernel ABI 6.1.0-56 (6.1.192-2) is gone, using the newest ABI of series 6.1.0: 6.1.0-57',
            'linux-kbuild-6.1 6.1.192-2 is not offered'])
    _, _, _, notes = pick(gone, 'arm64', '6.1.0-56', '6.1.192-2', '6.1.192-2')
    ok(all('\n' not in x for x in notes), 'each note is one line', notes)

    # ---- more ways the registry drifts ----
    # the pinned ABI is offered only at another package version
    rebuilt = [x.replace('6.1.192-2', '6.1.192-2+b1') for x in TODAY
               if '6.1.0-56' in x] + [x for x in TODAY if '6.1.0-56' not in x]
    expect('pinned ABI at another version: that version, with a note',
           rebuilt, 'arm64', ('6.1.0-56', '6.1.192-2', '6.1.192-3'),
           ('6.1.0-56', '6.1.192-2+b1', '6.1.192-3'),
           ['kernel 6.1.0-56: pinned version 6.1.192-2 is not offered, using 6.1.192-2+b1'])
    # upstream moved on: ABI 56 and 57 still listed, but no kbuild 6.1.192 at all
    moved = [x for x in TODAY if 'kbuild' not in x] + kbuild('6.1.195-1') + \
        kbuild('6.1.176-1', suite=MAIN) + kernel('6.1.0-58', '6.1.195-1', 'arm64')
    expect('no kbuild of the pinned upstream: newest ABI that has one (6.1.0-58)',
           moved, 'arm64', ('6.1.0-56', '6.1.192-2', '6.1.192-2'),
           ('6.1.0-58', '6.1.195-1', '6.1.195-1'),
           ['has no linux-kbuild-6.1 6.1.192', 'linux-kbuild-6.1 6.1.192-2 is not offered'])
    # the cache still holds the pinned kbuild: the pin stays
    cached = TODAY + ['linux-kbuild-6.1 | 6.1.192-2 | cache amd64 Packages']
    expect('pinned kbuild only in the cache: the pin stays, no note',
           cached, 'arm64', ('6.1.0-56', '6.1.192-2', '6.1.192-2'),
           ('6.1.0-56', '6.1.192-2', '6.1.192-2'))
    # an ABI with an image but no headers is not a candidate
    half = [x for x in gone if not x.startswith('linux-headers-6.1.0-57-arm64')]
    expect('an ABI without headers is skipped: 6.1.0-50 instead of 6.1.0-57',
           half, 'arm64', ('6.1.0-56', '6.1.192-2', '6.1.192-2'),
           ('6.1.0-50', '6.1.176-1', '6.1.176-1'), ['is gone', 'is not offered'])
    # ABI numbers compare as numbers, not strings (9 < 10)
    nums = kbuild('6.1.20-1') + kbuild('6.1.21-1') + \
        kernel('6.1.0-9', '6.1.20-1', 'arm64') + kernel('6.1.0-10', '6.1.21-1', 'arm64')
    expect('ABI 6.1.0-10 is newer than 6.1.0-9',
           nums, 'arm64', ('6.1.0-8', '6.1.19-1', '6.1.19-1'),
           ('6.1.0-10', '6.1.21-1', '6.1.21-1'), ['is gone', 'is not offered'])

    # ---- what must never be chosen ----
    other = kbuild('6.1.192-3') + kernel('6.12.0-9', '6.12.40-1', 'arm64') + \
        kernel('6.1.0-56', '6.1.192-2', 'arm64', flavour='rt-arm64') + \
        kernel('6.1.0-57', '6.1.192-3', 'amd64')
    try:
        got = pick(other, 'arm64', '6.1.0-56', '6.1.192-2', '6.1.192-2')
        ok(False, 'another series, another flavour or another arch is never chosen', got)
    except LookupError as e:
        ok('no kernel of series 6.1.0' in str(e),
           'another series, another flavour or another arch is never chosen', e)
    # kbuild must be one for the build machine (amd64), not the target
    foreign_kb = [x for x in TODAY if 'kbuild' not in x] + kbuild('6.1.192-2', 'arm64')
    try:
        got = pick(foreign_kb, 'arm64', '6.1.0-56', '6.1.192-2', '6.1.192-2')
        ok(False, 'an arm64 linux-kbuild-6.1 does not count (it runs on the amd64 host)', got)
    except LookupError:
        ok(True, 'an arm64 linux-kbuild-6.1 does not count (it runs on the amd64 host)')

    # ---- Debian 12's 6.12 kernels: ABI 6.12.N+deb12, kbuild named after the ABI ----
    def k612(n, rev='1~deb12u1'):
        abi, ver = '6.12.%d+deb12' % n, '6.12.%d-%s' % (n, rev)
        return kernel(abi, ver, 'amd64') + \
            ['linux-kbuild-%s | %s | %s amd64 Packages' % (abi, ver, SEC)]
    ok(resolve.parse_abi('6.12.118+deb12') == ('6.12.N+deb12', 118) and
       resolve.kbuild_pkg('6.12.118+deb12') == 'linux-kbuild-6.12.118+deb12' and
       resolve.kbuild_pkg('6.1.0-56') == 'linux-kbuild-6.1',
       'parse_abi and kbuild_pkg know both ABI forms')
    t612 = TODAY + k612(117) + k612(118)
    pins = ('6.12.118+deb12', '6.12.118-1~deb12u1', '6.12.118-1~deb12u1')
    expect('6.12: pinned present, kept, no note', t612, 'amd64', pins, pins)
    expect('6.12: pinned ABI gone: the newest 6.12.N+deb12 (119 > 117), kbuild of that ABI',
           TODAY + k612(117) + k612(119), 'amd64', pins,
           ('6.12.119+deb12', '6.12.119-1~deb12u1', '6.12.119-1~deb12u1'),
           ['using the newest ABI of series 6.12.N+deb12: 6.12.119+deb12',
            'using linux-kbuild-6.12.119+deb12 6.12.119-1~deb12u1'])
    no_kb = [x for x in t612 if not x.startswith('linux-kbuild-6.12.118')]
    expect('6.12: an ABI without its own kbuild is skipped (another ABI\'s does not count)',
           no_kb, 'amd64', pins,
           ('6.12.117+deb12', '6.12.117-1~deb12u1', '6.12.117-1~deb12u1'),
           ['has no linux-kbuild-6.12.118+deb12', 'is not offered'])
    expect('6.12 pins never pick a 6.1 kernel, 6.1 pins never a 6.12 one',
           t612, 'amd64', ('6.1.0-56', '6.1.192-2', '6.1.192-3'),
           ('6.1.0-56', '6.1.192-2', '6.1.192-3'))

    # ---- the command line ----
    def run(listing, *args):
        return subprocess.run([sys.executable, RESOLVE] + list(args), input=listing,
                              capture_output=True, text=True)
    r = run('\n'.join(TODAY), '--arch', 'arm64', '--flavour', 'arm64', '--abi', '6.1.0-56',
            '--pkg', '6.1.192-2', '--kbuild', '6.1.192-2', '--label', 'arm64')
    ok(r.returncode == 0 and r.stdout.splitlines() ==
       ['KABI=6.1.0-56', 'KPKG=6.1.192-2', 'KBUILD=6.1.192-3',
        'NOTE=arm64: linux-kbuild-6.1 6.1.192-2 is not offered, using 6.1.192-3 '
        '(upstream 6.1.192, as the headers)'],
       'resolve.py prints KABI, KPKG, KBUILD and one NOTE line', r.stdout + r.stderr)
    r = run('', '--arch', 'arm64', '--flavour', 'arm64', '--abi', '6.1.0-56',
            '--pkg', '6.1.192-2', '--kbuild', '6.1.192-2')
    ok(r.returncode == 1 and r.stdout == '' and
       r.stderr.startswith('nkvm: error: arm64: no kernel of series 6.1.0'),
       'resolve.py on an empty listing: exit 1, one error line', r.stdout + r.stderr)

    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, line_buffering=True)
    sys.exit(main())
