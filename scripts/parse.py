#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nkvm: count the results in a guest console log (or in plain TAP output).

usage: scripts/parse.py [--tap] [--alloc-failures-ok] [--label L] [--counts FILE] LOG
  Prints every TAP line of LOG as "[L] <line>", plus a "not ok" line for each failure
  the harness adds, and writes "PASSED FAILED SKIPPED" to FILE (--counts).
  Exit status: 0 when nothing failed, 1 otherwise.

Guest log protocol (Documentation/contract*.txt): sections
  "# BEGIN <test>" ... TAP ... "# END <test> rc=<status>",
  then NKVM-DMESG-BEGIN ... NKVM-DMESG-END, then NKVM-DONE.
Added failures: a section with rc != 0 (rc 4 = KSFT_SKIP with no failed line counts as a
skip), a section whose ok/not ok count differs from its plan (or has no plan), a section
that never ended, a missing NKVM-DONE, kernel trouble (WARNING:, BUG:, Oops, KASAN,
general protection, Call Trace, Kernel panic, UBSAN, lockdep's INFO: possible...,
kmemleak's suspected leaks) in the dmesg section or on the console.
--tap: LOG is plain TAP (one producer, e.g. tools/abi/abi-check.sh): no sections, no
NKVM-DONE; plan mismatch and a missing plan are still failures.
--alloc-failures-ok: the run injects allocation failures (make check-debug); the
kernel's own report of a failed allocation ("page allocation failure:" or "vmalloc
error:", then a stack dump) is expected there, so the "Call Trace" of such a report
is counted and shown but is not a failure.
"""
import argparse
import re
import sys

TAP = re.compile(r'^(not ok|ok)\b(.*)$')
PLAN = re.compile(r'^1\.\.(\d+)')
SKIP = re.compile(r'#\s*(SKIP|skip|Skip)')
BEGIN = re.compile(r'# BEGIN (\S+)\s*$')
END = re.compile(r'^# END (\S+) rc=(-?\d+)')
ANSI = re.compile(r'\x1b(\[[0-?]*[ -/]*[@-~]|[@-Z\\-_]|c)')
KTROUBLE = re.compile(r'WARNING:|BUG:|Oops|KASAN|general protection|Call Trace|'
                      r'Kernel panic|kernel BUG|UBSAN:|soft lockup|hung_task|'
                      r'blocked for more than|INFO: possible|'
                      r'suspected memory leak|unreferenced object')
ALLOC_FAIL = re.compile(r'page allocation failure:|vmalloc error:')
ALLOC_FAIL_SPAN = 8        # lines from that header to its "Call Trace:"
KSFT_SKIP = 4


class Counter:
    def __init__(self, label):
        self.label = label
        self.passed = self.failed = self.skipped = 0

    def out(self, line):
        print(f'[{self.label}] {line}')

    def tap(self, line):
        m = TAP.match(line)
        if not m:
            return
        if SKIP.search(m.group(2)):
            self.skipped += 1
        elif m.group(1) == 'ok':
            self.passed += 1
        else:
            self.failed += 1
        self.out(line)

    def fail(self, why):
        self.failed += 1
        self.out(f'not ok - {why}')


class Section:
    def __init__(self, name):
        self.name = name
        self.plan = None
        self.results = 0
        self.notok = 0
        self.skips = 0


def strip_kmsg(line):
    # console lines may carry a "[   12.345678] " kernel timestamp
    return re.sub(r'^\[\s*\d+\.\d+\]\s*', '', line)


def parse_guest(lines, c, alloc_failures_ok=False):
    sec = None
    alloc_fail_left = 0
    alloc_reports = 0
    seen_sections = 0
    done = False
    in_dmesg = False
    for raw in lines:
        line = ANSI.sub('', raw.rstrip('\n'))
        if line.startswith('NKVM-DMESG-BEGIN'):
            in_dmesg = True
            continue
        if line.startswith('NKVM-DMESG-END'):
            in_dmesg = False
            continue
        if line.startswith('NKVM-DONE'):
            done = True
            continue
        if in_dmesg or sec is None:
            body = strip_kmsg(line)
            if alloc_failures_ok and ALLOC_FAIL.search(body):
                alloc_fail_left = ALLOC_FAIL_SPAN
                alloc_reports += 1
                continue
            if alloc_fail_left:
                alloc_fail_left -= 1
                if body.strip() == 'Call Trace:':
                    alloc_fail_left = 0
                    continue
            if KTROUBLE.search(body):
                c.fail(f'kernel: {body.strip()}')
                continue
        if in_dmesg:
            continue
        m = BEGIN.search(line)
        if m:
            if sec is not None:
                c.fail(f'{sec.name}: section did not end (no "# END")')
            sec = Section(m.group(1))
            seen_sections += 1
            continue
        m = END.match(line)
        if m and sec is not None:
            rc = int(m.group(2))
            if rc == KSFT_SKIP and sec.notok == 0:
                if sec.results == 0:
                    c.skipped += 1
                    c.out(f'ok - {sec.name} # SKIP exited with KSFT_SKIP')
            elif rc != 0:
                c.fail(f'{sec.name}: exit status {rc}')
            if rc != KSFT_SKIP or sec.results:
                if sec.plan is None:
                    c.fail(f'{sec.name}: no TAP plan')
                elif sec.plan != sec.results:
                    c.fail(f'{sec.name}: planned {sec.plan} results, got {sec.results}')
            sec = None
            continue
        if sec is None:
            continue
        m = PLAN.match(line)
        if m:
            sec.plan = int(m.group(1))
            continue
        m = TAP.match(line)
        if m:
            sec.results += 1
            if m.group(1) == 'not ok' and not SKIP.search(m.group(2)):
                sec.notok += 1
            c.tap(line)
    if sec is not None:
        c.fail(f'{sec.name}: section did not end (guest died or timed out)')
    if seen_sections == 0:
        c.fail('no test section in the console log')
    if not done:
        c.fail('no NKVM-DONE: the guest run did not complete')
    if alloc_reports:
        c.out(f'# kernel: {alloc_reports} allocation-failure reports (injected failures)')


def parse_tap(lines, c):
    plan = None
    results = 0
    for raw in lines:
        line = raw.rstrip('\n')
        m = PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        if TAP.match(line):
            results += 1
            c.tap(line)
    if plan is None:
        c.fail('no TAP plan')
    elif plan != results:
        c.fail(f'planned {plan} results, got {results}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('log')
    ap.add_argument('--label', default='?')
    ap.add_argument('--counts')
    ap.add_argument('--tap', action='store_true')
    ap.add_argument('--alloc-failures-ok', action='store_true')
    a = ap.parse_args()
    c = Counter(a.label)
    try:
        with open(a.log, errors='replace') as f:
            lines = f.readlines()
    except OSError as e:
        lines = []
        c.fail(f'cannot read {a.log}: {e.strerror}')
    if a.tap:
        parse_tap(lines, c)
    else:
        parse_guest(lines, c, a.alloc_failures_ok)
    if a.counts:
        with open(a.counts, 'w') as f:
            f.write(f'{c.passed} {c.failed} {c.skipped}\n')
    sys.exit(1 if c.failed else 0)


if __name__ == '__main__':
    main()
