#!/usr/bin/env python3
"""helgrind_report.py LOG: sorts the reports of a helgrind run of the load
test (after tests/c/load/helgrind.supp) and fails on those that matter.

Fails (exit 1) on:
  - any helgrind error that is not a data race (lock order, pthread misuse);
  - a race on memory the C test allocated (alloc stack starts in load.c or
    sha256.c), whoever accessed it;
  - a race whose access (either side) is in the FFI layer itself: the first
    frame below helgrind's libc interceptors is an ocireg::ffi function or an
    exported ocireg_* function;
  - a race whose access is in the C test's code on memory it did not
    allocate, EXCEPT reads of a buffer the library lent to a callback or a
    reader (the write callback's memcpy of `data`, ocireg_blob_reader_read),
    which are listed as warnings: that memory was filled by a tokio worker
    and handed over through tokio's channels, which helgrind cannot see.
Everything else (races inside libocireg's Rust internals that the
suppressions did not catch) is counted and listed by top frame.
"""
import collections
import re
import sys

FRAME = re.compile(r'^\s*(?:at|by) 0x[0-9A-Fa-f]+: (.*)$')
ALLOCATORS = re.compile(r'^(malloc|calloc|realloc|free|memalign|posix_memalign|aligned_alloc|'
                        r'alloc|alloc_impl|alloc_impl_runtime|__rust_|__rdl_|__rg_|'
                        r'UnknownInlinedFun|with_capacity|operator new)')


def blocks(text):
    cur = []
    for line in text.splitlines():
        line = re.sub(r'^==\d+== ?', '', line)
        if line.startswith('---'):
            if cur:
                yield cur
            cur = []
        else:
            cur.append(line)
    if cur:
        yield cur


def sections(block):
    """The frames of the access, the conflicting access and the allocation."""
    out = {'access': [], 'conflict': [], 'alloc': []}
    cur = 'access'
    for line in block:
        s = line.strip()
        if s.startswith('This conflicts'):
            cur = 'conflict'
        elif s.startswith('Address') or s.startswith('Block'):
            cur = 'alloc'
        m = FRAME.match(line)
        if m:
            out[cur].append(m.group(1))
    return out


def first_real(frames):
    """The first frame that is not a helgrind/libc interceptor."""
    for f in frames:
        if 'vgpreload_helgrind' in f:
            continue
        return f
    return ''


def is_c(frame):
    return bool(re.search(r'\((load|sha256)\.c:\d+\)', frame))


def is_ffi(frame):
    return frame.startswith('ocireg_') or 'ocireg::ffi::' in frame


def main():
    text = open(sys.argv[1], errors='replace').read()
    fatal, warn, internal = [], [], collections.Counter()
    races = 0
    for b in blocks(text):
        head = ' '.join(b[:2])
        if 'Thread-Announcement' in head or not any(FRAME.match(l) for l in b):
            continue
        if not any('Possible data race' in l for l in b):
            # Helgrind's other errors start "Thread #N: lock order ...",
            # "Thread #N unlocked a not-locked lock", "Thread #N's call to
            # pthread_...", etc.; the announcements ("was created", "is the
            # program's root thread") are not errors.
            first = next((l.strip() for l in b if l.strip()), '')
            if (re.match(r'Thread #\d+', first) and
                    not re.search(r'was created|is the program', first)):
                fatal.append(('not a race', b))
            continue
        races += 1
        s = sections(b)
        alloc = [f for f in s['alloc'] if not ALLOCATORS.match(f) and 'vgpreload' not in f]
        if alloc and is_c(alloc[0]):
            fatal.append(('race on memory the C test allocated', b))
            continue
        tops = [first_real(s['access']), first_real(s['conflict'])]
        if any(is_ffi(t) for t in tops):
            fatal.append(('race in the FFI layer', b))
            continue
        if any(is_c(t) for t in tops):
            j = ' '.join(s['access'][:6] + s['conflict'][:6])
            if re.search(r'buf_write|op_reader|op_cancel', j) and 'memmove' in j + ' '.join(b[:4]):
                warn.append(('the C test reads a buffer the library lent it', b))
            else:
                fatal.append(('race in the C test', b))
            continue
        top = re.sub(r'\s*\(.*', '', s['access'][0] if s['access'] else '?')
        internal[top[:80]] += 1
    print('helgrind: %d race contexts left after the suppressions' % races)
    print('  inside libocireg (Rust internals the suppressions did not name): %d'
          % sum(internal.values()))
    for k, v in internal.most_common(8):
        print('    %4d at %s' % (v, k))
    for kind, items in (('WARNING', warn), ('FAIL', fatal)):
        counts = collections.Counter(k for k, _ in items)
        for k, v in counts.items():
            print('  %s: %d x %s; the first:' % (kind, v, k))
            b = next(b for kk, b in items if kk == k)
            print('\n'.join('      ' + l[:200] for l in b[:40]))
    return 1 if fatal else 0


if __name__ == '__main__':
    sys.exit(main())
