#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
nkvm ABI checker: compare nkvm's KVM uapi headers with a reference copy
(the distribution's Linux uapi headers) for one or more target arches.

What is compared, per arch:
  * constants: every object-like macro defined by the kvm headers on both
    sides (value, size of its type, signedness), every enumerator declared
    in the kvm headers on both sides, and every function-like macro both
    define (same parameter count, value for two fixed argument lists);
    values come from compiling for the target and reading the assembly.
  * types: every struct both define, via pahole on DWARF: size, and for
    every member (nested and anonymous ones too) name, type, offset, size
    and bit position.
Names present on only one side are reported for information only.

Output is TAP ("1..N", one "ok"/"not ok" line per arch, "# " details).
"""

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys

ARCHES = {
    'x86_64': {
        'cc': 'gcc',
        'karch': 'x86',
        'ref': '/usr/include:/usr/include/x86_64-linux-gnu',
        'deps': [],
    },
    'arm64': {
        'cc': 'aarch64-linux-gnu-gcc',
        'karch': 'arm64',
        'ref': '/usr/aarch64-linux-gnu/include',
        'deps': ['linux/psci.h', 'asm/ptrace.h', 'asm/sve_context.h'],
    },
    's390x': {
        'cc': 's390x-linux-gnu-gcc',
        'karch': 's390',
        'ref': '/usr/s390x-linux-gnu/include',
        'deps': [],
    },
}

# Headers the kvm headers pull in; their own names are not part of the
# comparison (subtracted on both sides).
BASE_DEPS = ['linux/const.h', 'linux/types.h', 'linux/stddef.h',
             'linux/ioctl.h']

# Kernel-internal helpers that some uapi constants expand to.  Given the
# same definition on both sides so that those constants can be compared.
HELPERS = r'''
#ifndef PAGE_SIZE
#define PAGE_SIZE 4096UL
#endif
#ifndef GENMASK
#define GENMASK(h, l) (((~0UL) << (l)) & (~0UL >> (8 * sizeof(long) - 1 - (h))))
#endif
#ifndef SZ_64K
#define SZ_64K 0x00010000
#endif
#ifndef U64_MAX
#define U64_MAX (~0ULL)
#endif
'''

ARGSETS = [(1, 2, 3, 4, 5, 6, 7, 8), (3, 3, 14, 2, 1, 9, 5, 11)]
VARIADIC_ARGS = 5

MEMBER_RE = re.compile(r'^(\s*)(.*?)\s*/\*\s*(\d+)(?::\s*(\d+))?\s+(\d+)\s*\*/\s*$')


class CheckError(Exception):
    pass


def run(cmd, cwd=None, check=True):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if check and p.returncode != 0:
        raise CheckError('command failed (%d): %s\n%s' %
                         (p.returncode, ' '.join(cmd), p.stderr[-3000:]))
    return p


class Side:
    """One header set (ours or ref) for one arch."""

    def __init__(self, name, arch, cc, incdirs, workdir, own_files):
        self.name = name
        self.arch = arch
        self.cc = cc
        self.incdirs = incdirs
        self.workdir = workdir
        self.own_files = own_files      # files that must be used (ours)
        os.makedirs(workdir, exist_ok=True)

    def cflags(self):
        fl = []
        for d in self.incdirs:
            fl += ['-I', d]
        return fl

    def write(self, fname, text):
        path = os.path.join(self.workdir, fname)
        with open(path, 'w') as f:
            f.write(text)
        return path

    # -- preprocessor ------------------------------------------------------

    def macros(self, includes, tag):
        src = self.write('%s.c' % tag,
                         ''.join('#include <%s>\n' % h for h in includes))
        p = run([self.cc, '-dM', '-E'] + self.cflags() + [src])
        res = {}
        for line in p.stdout.splitlines():
            m = re.match(r'#define ([A-Za-z_]\w*)(\(([^)]*)\))?(?:\s(.*))?$',
                         line)
            if not m:
                continue
            params = None
            if m.group(2) is not None:
                params = [x.strip() for x in m.group(3).split(',')
                          if x.strip()]
            res[m.group(1)] = (params, (m.group(4) or '').strip())
        return res

    def used_headers(self):
        src = self.write('deps-probe.c', '#include <linux/kvm.h>\n')
        p = run([self.cc, '-M'] + self.cflags() + [src])
        text = p.stdout.replace('\\\n', ' ')
        return [os.path.realpath(x) for x in text.split()[2:]]

    def enumerators(self):
        """Enumerators declared in files named kvm.h."""
        src = self.write('enum-probe.c', '#include <linux/kvm.h>\n')
        p = run([self.cc, '-E'] + self.cflags() + [src])
        chunks = []
        keep = False
        for line in p.stdout.splitlines():
            m = re.match(r'# \d+ "([^"]*)"', line)
            if m:
                keep = os.path.basename(m.group(1)) == 'kvm.h'
                continue
            if keep:
                chunks.append(line)
        text = '\n'.join(chunks)
        names = []
        for m in re.finditer(r'\benum\b\s*\w*\s*\{([^}]*)\}', text):
            for item in m.group(1).split(','):
                item = item.strip()
                if not item:
                    continue
                n = re.match(r'([A-Za-z_]\w*)', item)
                if n:
                    names.append(n.group(1))
        return names

    # -- constant evaluation -----------------------------------------------

    def evaluate(self, items):
        """items: list of (label, expr).  Returns {label: (val, size, sgn)}
        for the ones that are integer constant expressions."""
        pending = list(items)
        hdr = '#include <stddef.h>\n#include <linux/kvm.h>\n' + HELPERS
        hdr_lines = hdr.count('\n')
        for _ in range(50):
            body = []
            for i, (_, expr) in enumerate(pending):
                body.append('const unsigned long long abi_v%d[3] = { '
                            '(unsigned long long)(%s), sizeof(%s), '
                            '(__typeof__(%s))-1 < (__typeof__(%s))0 };\n'
                            % (i, expr, expr, expr, expr))
            src = self.write('values.c', hdr + ''.join(body))
            asm = os.path.join(self.workdir, 'values.s')
            p = run([self.cc, '-S', '-O0', '-w', '-fmax-errors=0',
                     '-fno-zero-initialized-in-bss', '-fno-common'] +
                    self.cflags() + ['-o', asm, src], check=False)
            if p.returncode == 0:
                break
            bad = set()
            for m in re.finditer(r'values\.c:(\d+):', p.stderr):
                ln = int(m.group(1))
                if ln > hdr_lines:
                    bad.add(ln - hdr_lines - 1)
            if not bad:
                raise CheckError('%s/%s: value probe does not compile:\n%s'
                                 % (self.arch, self.name, p.stderr[-3000:]))
            pending = [it for i, it in enumerate(pending) if i not in bad]
        else:
            raise CheckError('%s/%s: value probe did not converge'
                             % (self.arch, self.name))
        words = parse_asm_words(asm)
        res = {}
        for i, (label, _) in enumerate(pending):
            w = words.get('abi_v%d' % i)
            if w is None or len(w) != 3:
                raise CheckError('%s/%s: cannot read value of %s from asm'
                                 % (self.arch, self.name, label))
            res[label] = tuple(w)
        return res

    # -- type layouts --------------------------------------------------------

    def structs(self, includes, tag):
        src = self.write('%s.c' % tag,
                         '#include <linux/stddef.h>\n'
                         '#undef __DECLARE_FLEX_ARRAY\n'
                         '#define __DECLARE_FLEX_ARRAY(T, N) T N[]\n' +
                         ''.join('#include <%s>\n' % h for h in includes))
        obj = os.path.join(self.workdir, '%s.o' % tag)
        run([self.cc, '-c', '-O0', '-g', '-gdwarf-4',
             '-fno-eliminate-unused-debug-types'] + self.cflags() +
            ['-o', obj, src])
        p = run(['pahole', obj])
        return parse_pahole(p.stdout)


def parse_asm_words(path):
    """Map label -> list of 64-bit words for data emitted after it."""
    words = {}
    cur = None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line:
                continue
            m = re.match(r'^([A-Za-z_.$][\w.$]*):$', line)
            if m:
                cur = m.group(1)
                words[cur] = []
                continue
            if cur is None:
                continue
            m = re.match(r'^\.(quad|xword|8byte|dword)\s+(\S+)$', line)
            if m:
                words[cur].append(int(m.group(2), 0) & (2**64 - 1))
                continue
            m = re.match(r'^\.zero\s+(\d+)$', line)
            if m:
                n = int(m.group(1))
                if n % 8:
                    raise CheckError('odd .zero %d in %s' % (n, path))
                words[cur] += [0] * (n // 8)
                continue
            if re.match(r'^\.(long|word|short|byte|4byte|2byte|value|hword|ascii|string)\b', line):
                raise CheckError('unexpected data directive in %s: %s'
                                 % (path, line))
    return words


def parse_pahole(text):
    """Returns {struct name: list of normalised lines}."""
    res = {}
    cur = None
    lines = []
    for raw in text.splitlines():
        if cur is None:
            m = re.match(r'^(struct|union) (\w+) \{$', raw)
            if m:
                cur = '%s %s' % (m.group(1), m.group(2))
                lines = []
            continue
        if raw == '};':
            res[cur] = lines
            cur = None
            continue
        s = raw.strip()
        if not s:
            continue
        if s.startswith('/*'):
            m = re.match(r'/\* size: (\d+),.*members: (\d+)', s)
            if m:
                lines.append('size %s members %s' % (m.group(1), m.group(2)))
            # holes, paddings, cachelines etc. are noise
            continue
        m = MEMBER_RE.match(raw)
        if m:
            decl = ' '.join(m.group(2).split())
            depth = len(m.group(1).expandtabs(8)) // 8
            bit = ':%s' % m.group(4) if m.group(4) is not None else ''
            lines.append('%d|%s|off %s%s size %s' %
                         (depth, decl, m.group(3), bit, m.group(5)))
        else:
            depth = len(raw) - len(raw.lstrip('\t'))
            lines.append('%d|%s' % (depth, ' '.join(s.split())))
    return res


def norm_body(text):
    return re.sub(r'\s+', '', text)


def count_fields(lines):
    return sum(1 for l in lines if '|off ' in l)


def fmt_member(lines, i, end):
    if i >= end:
        return '-'
    depth, _, rest = lines[i].partition('|')
    return '  ' * (int(depth) - 1) + rest.replace('|', ' ')


def check_arch(arch, root, ours_root, outdir, verbose):
    cfg = ARCHES[arch]
    cc = os.environ.get('ABI_CC_%s' % arch, cfg['cc'])
    if not shutil.which(cc):
        raise CheckError('compiler %s not found' % cc)
    refdirs = [d for d in os.environ.get('ABI_REF_%s' % arch,
                                         cfg['ref']).split(':') if d]
    for d in refdirs:
        if not os.path.isdir(d):
            raise CheckError('reference include dir %s missing' % d)
    ours_dirs = [os.path.join(ours_root, 'include', 'uapi'),
                 os.path.join(ours_root, 'arch', cfg['karch'], 'include',
                              'uapi')]
    own_files = [os.path.realpath(os.path.join(ours_dirs[0], 'linux/kvm.h')),
                 os.path.realpath(os.path.join(ours_dirs[1], 'asm/kvm.h'))]
    ours = Side('ours', arch, cc, ours_dirs + refdirs,
                os.path.join(outdir, arch, 'ours'), own_files)
    ref = Side('ref', arch, cc, refdirs, os.path.join(outdir, arch, 'ref'),
               [])

    errors = []
    info = []

    # make sure each side really uses the intended headers
    used = ours.used_headers()
    for f in own_files:
        if f not in used:
            raise CheckError('ours side does not use %s' % f)
    ref_used = ref.used_headers()
    for f in ref_used:
        for d in ours_dirs:
            if f.startswith(os.path.realpath(d) + os.sep):
                raise CheckError('ref side uses %s from our tree' % f)
    ref_kvm = [f for f in ref_used if f.endswith('/kvm.h')]
    info.append('ref: %s' % ' '.join(ref_kvm))

    deps = BASE_DEPS + cfg['deps']

    # ---- constants ----
    mac = {}
    for s in (ours, ref):
        allm = s.macros(['linux/kvm.h'], 'macros-kvm')
        depm = s.macros(deps, 'macros-deps')
        mac[s.name] = {k: v for k, v in allm.items() if k not in depm}
    mo, mr = mac['ours'], mac['ref']
    only_ours = sorted(set(mo) - set(mr))
    only_ref = sorted(set(mr) - set(mo))
    items = []
    for name in sorted(set(mo) & set(mr)):
        po, pr = mo[name][0], mr[name][0]
        if (po is None) != (pr is None) or \
           (po is not None and len(po) != len(pr)) or \
           (po is not None and ('...' in po) != ('...' in pr)):
            errors.append('macro %s: parameters differ: ours %s, ref %s' %
                          (name, po, pr))
            continue
        if po is None:
            items.append(('%s' % name, name))
        else:
            n = len(po)
            if '...' in po:
                n = max(n - 1, 0) + VARIADIC_ARGS
            for aset in ARGSETS:
                args = ', '.join(str(a) for a in aset[:n])
                items.append(('%s(%s)' % (name, args),
                              '%s(%s)' % (name, args)))
    eo = set(ours.enumerators())
    er = set(ref.enumerators())
    for name in sorted(eo & er):
        if name not in mo or name not in mr:
            items.append(('enum %s' % name, name))
    only_ours += sorted('enum ' + x for x in eo - er if x not in mo)
    only_ref += sorted('enum ' + x for x in er - eo if x not in mr)

    vo = ours.evaluate(items)
    vr = ref.evaluate(items)
    nconst = 0
    presence_only = 0
    text_done = set()
    for label, _ in items:
        a, b = vo.get(label), vr.get(label)
        if a is None and b is None:
            # not an integer constant expression on this target (empty
            # marker, other arch's struct in an ioctl, ...): the macro
            # bodies must then be the same token sequence.
            name = re.match(r'(?:enum )?(\w+)', label).group(1)
            if label.startswith('enum ') or name in text_done:
                continue
            text_done.add(name)
            to_, tr_ = norm_body(mo[name][1]), norm_body(mr[name][1])
            if to_ != tr_:
                errors.append('macro %s: not an integer constant; '
                              'definitions differ: ours "%s", ref "%s"' %
                              (name, mo[name][1], mr[name][1]))
                continue
            presence_only += 1
            if verbose:
                info.append('compared by definition text: %s' % label)
            continue
        if a is None or b is None:
            errors.append('constant %s: evaluable only on %s side' %
                          (label, 'ref' if a is None else 'ours'))
            continue
        if a != b:
            errors.append('constant %s: ours 0x%x (size %d, %s), '
                          'ref 0x%x (size %d, %s)' %
                          (label, a[0], a[1], 'signed' if a[2] else 'unsigned',
                           b[0], b[1], 'signed' if b[2] else 'unsigned'))
            continue
        nconst += 1

    # ---- types ----
    to_all = ours.structs(['linux/kvm.h'], 'types-kvm')
    to_dep = ours.structs(deps, 'types-deps')
    tr_all = ref.structs(['linux/kvm.h'], 'types-kvm')
    tr_dep = ref.structs(deps, 'types-deps')
    to = {k: v for k, v in to_all.items() if k not in to_dep}
    tr = {k: v for k, v in tr_all.items() if k not in tr_dep}
    ntypes = 0
    nfields = 0
    for name in sorted(set(to) & set(tr)):
        a, b = to[name], tr[name]
        if a == b:
            ntypes += 1
            nfields += count_fields(a)
            continue
        shown = 0
        sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == 'equal':
                continue
            for k in range(max(i2 - i1, j2 - j1)):
                if shown == 20:
                    errors.append('%s: more differences, see %s' %
                                  (name, os.path.join(outdir, arch, '%s.diff' % name.replace(' ', '_'))))
                    break
                shown += 1
                errors.append('%s: ours "%s", ref "%s"' %
                              (name, fmt_member(a, i1 + k, i2),
                               fmt_member(b, j1 + k, j2)))
            if shown > 20:
                break
        with open(os.path.join(outdir, arch, '%s.diff' % name.replace(' ', '_')), 'w') as f:
            f.write('--- ours\n' + '\n'.join(a) + '\n--- ref\n' +
                    '\n'.join(b) + '\n')
    tonly_ours = sorted(set(to) - set(tr))
    tonly_ref = sorted(set(tr) - set(to))

    summary = ('%d constants, %d types, %d fields identical' %
               (nconst, ntypes, nfields))
    info.append('%d macros are not integer constants here; their '
                'definitions were compared as token text' % presence_only)
    info.append('only in ours: %d macros/enumerators, %d types' %
                (len(only_ours), len(tonly_ours)))
    info.append('only in ref: %d macros/enumerators, %d types' %
                (len(only_ref), len(tonly_ref)))
    for tag, lst in (('only in ours', only_ours + tonly_ours),
                     ('only in ref', only_ref + tonly_ref)):
        if lst and (verbose or len(lst) <= 60):
            info.append('%s: %s' % (tag, ' '.join(lst)))
        elif lst:
            info.append('%s: %s ... (use -v for all)' %
                        (tag, ' '.join(lst[:60])))
    with open(os.path.join(outdir, arch, 'report.txt'), 'w') as f:
        f.write(summary + '\n' + '\n'.join(errors + info) + '\n')
    return summary, errors, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--root', default=os.path.realpath(
        os.path.join(os.path.dirname(__file__), '..', '..')))
    ap.add_argument('--ours', help='tree holding the headers under test '
                    '(default: --root)')
    ap.add_argument('--out', help='work dir (default: ROOT/build/abi)')
    ap.add_argument('--arch', action='append',
                    help='arch to check (repeatable); default: all')
    ap.add_argument('--no-plan', action='store_true')
    ap.add_argument('--start', type=int, default=1)
    ap.add_argument('-v', '--verbose', action='store_true')
    a = ap.parse_args()
    root = a.root
    ours = a.ours or root
    out = a.out or os.path.join(root, 'build', 'abi')
    arches = a.arch or list(ARCHES)
    if not a.no_plan:
        print('1..%d' % len(arches))
    failed = 0
    for i, arch in enumerate(arches, a.start):
        if arch not in ARCHES:
            print('not ok %d - abi %s: unknown arch' % (i, arch))
            failed += 1
            continue
        try:
            os.makedirs(os.path.join(out, arch), exist_ok=True)
            summary, errors, info = check_arch(arch, root, ours, out,
                                               a.verbose)
        except CheckError as e:
            print('not ok %d - abi %s: checker error' % (i, arch))
            for l in str(e).splitlines():
                print('# ' + l)
            failed += 1
            continue
        if errors:
            failed += 1
            print('not ok %d - abi %s: %d mismatches; %s' %
                  (i, arch, len(errors), summary))
        else:
            print('ok %d - abi %s: %s' % (i, arch, summary))
        for l in errors:
            print('# MISMATCH ' + l)
        for l in info:
            print('# ' + l)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
