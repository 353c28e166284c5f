"""Writes the release binary's code layout: a GNU ld script that gathers the code a run executes.

Usage: layout_script.py --binary UNSTRIPPED --map LINK_MAP --out SCRIPT CALLGRIND_OUT...

Why: the kernel maps up to 64 KiB around every page fault in a file mapping (fault-around), and the
functions one run of the agent needs are spread over the whole text of gRPC, protobuf, abseil,
OpenSSL and Boost, so a run that executes a small part of the code ends up with most of the text
resident. Placing the input sections that a run executes next to each other, ahead of the rest,
makes the pages a run touches few and dense.

How: each CALLGRIND_OUT is a `valgrind --tool=callgrind --dump-instr=yes --compress-strings=no
--compress-pos=no --demangle=no` profile of the unstripped release binary; every instruction
address it ran is looked up in the link map (`-Wl,-Map`) to find the input section that holds it: a whole object's
`.text` for the static archives Debian builds without -ffunction-sections, or a single function's
`.text.NAME` section (inline and template functions always have their own). The profiles are read
in the order given; the sections the first one ran come first, then those only the next one ran.

The script places those sections in an output section of their own before `.text` (`INSERT BEFORE
.text`, so ld's default script stays in force for everything else), and the read-only data of the
objects whose code ran in one before `.rodata`. A pattern that matches nothing
any more (the code changed since the profile) is ignored by ld: a stale script still links, the
layout is just less tight until scripts/profile-layout.sh writes a new one.
"""
import argparse
import bisect
import collections
import re
import subprocess
import sys

# Plain section names that gather many functions of one object; they are named with their file.
# Any other `.text.NAME` is one function's section and is named alone (`*(.text.NAME)`).
RUN_SECTION = ".text.run"  # the output sections this script adds
RUN_RODATA = ".rodata.run"
STARTUP = ".text.startup"
SHARED_NAMES = {".text", ".text.unlikely", STARTUP, ".text.hot", ".text.exit"}

ENTRY = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
NAME_ONLY = re.compile(r"^ (\S+)$")


def text_sections(map_path):
    """Input sections of the output sections .text and .text.run (this layout's own): sorted
    (start, end, name, file) tuples."""
    sections = []
    in_text = False
    pending = None
    with open(map_path, errors="replace") as f:
        for line in f:
            if line.strip() and not line[0].isspace():
                # An output section starts (or the map's next part): the code is in these two.
                in_text = line.split()[0] in (".text", RUN_SECTION)
                continue
            if not in_text:
                continue
            line = line.rstrip("\n")
            m = NAME_ONLY.match(line)
            if m and not m.group(1).startswith("*"):
                pending = m.group(1)
                continue
            m = ENTRY.match(line)
            if m:
                name = m.group(1) or pending
                pending = None
                if not name or name.startswith("*"):
                    continue
                start, size = int(m.group(2), 16), int(m.group(3), 16)
                if size:
                    sections.append((start, start + size, name, m.group(4).strip()))
    sections.sort()
    return sections


def symbol_addresses(binary):
    """Link address of each function symbol defined once in the binary."""
    out = subprocess.run(["nm", "--defined-only", binary], check=True, capture_output=True, text=True).stdout
    addresses = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            addresses[parts[2]] = None if parts[2] in addresses else int(parts[0], 16)
    return {name: address for name, address in addresses.items() if address is not None}


def executed_addresses(profile, binary_name, symbols):
    """Link addresses of the instructions that ran in the binary.

    valgrind reports the binary under its path when its reader takes the binary's layout, and as
    "???" when it does not, and the two give addresses on different bases (link addresses, or
    where the binary was loaded). Each object's offset is the one most of its functions agree on:
    where a function's first instruction ran against the symbol's address in the binary."""
    blocks = {}   # ob line -> (addresses, {function: lowest address})
    current = None
    function = None
    with open(profile, errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                name = line.rstrip("\n")
                mine = name.endswith("/" + binary_name) or name == "ob=???"
                current = blocks.setdefault(name, (set(), {})) if mine else None
            elif line.startswith("fn="):
                function = line.rstrip("\n")[3:]
            elif line.startswith("0x") and current is not None:
                address = int(line.split(None, 1)[0], 16)
                current[0].add(address)
                if function in symbols and address < current[1].get(function, address + 1):
                    current[1][function] = address
    linked = set()
    for addresses, starts in blocks.values():
        offsets = collections.Counter(start - symbols[name] for name, start in starts.items())
        if not offsets:
            continue
        offset = offsets.most_common(1)[0][0]
        linked.update(address - offset for address in addresses)
    if not linked:
        sys.exit("layout: %s ran no function of %s (profiled another build?)" % (profile, binary_name))
    return linked


def file_pattern(path):
    """An ld file pattern for an input file: `*/libx.a:member.o` for an archive member, else `*/dir/file.o`."""
    m = re.match(r"^(.*)\((.*)\)$", path)
    if m:
        return "*/%s:%s" % (m.group(1).rsplit("/", 1)[-1], m.group(2))
    # A thin archive's member (meson's own libraries) or a plain object: its last two path parts
    # (`libgic_agent.a.p/run_once.cpp.o`) tell it apart.
    return "*/" + "/".join(path.split("/")[-2:])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True, help="the unstripped binary the profiles ran")
    p.add_argument("--map", required=True, help="its link map")
    p.add_argument("--out", required=True)
    p.add_argument("profiles", nargs="+")
    a = p.parse_args()

    sections = text_sections(a.map)
    starts = [s[0] for s in sections]
    symbols = symbol_addresses(a.binary)
    binary_name = a.binary.rsplit("/", 1)[-1]

    order = []      # (file pattern or None, section name), first run first
    seen = set()
    hot_bytes = 0
    for profile in a.profiles:
        tier = []
        for address in executed_addresses(profile, binary_name, symbols):
            i = bisect.bisect_right(starts, address) - 1
            if i < 0 or address >= sections[i][1]:
                continue  # .init, .plt, .fini: outside .text
            start, end, name, path = sections[i]
            key = (file_pattern(path), name) if name in SHARED_NAMES else (None, name)
            if key not in seen:
                seen.add(key)
                tier.append(key)
                hot_bytes += end - start
        # Sorted, so that a profile of the same code gives the same script.
        order.extend(sorted(tier, key=lambda k: (k[0] or "", k[1])))

    total = sum(s[1] - s[0] for s in sections)
    lines = ["/* Generated by scripts/profile-layout.sh (scripts/layout_script.py): the input sections",
             "   that a --once run and a continuous agent's start execute, gathered ahead of .text, and",
             "   their objects' read-only data ahead of .rodata, so that the pages a run touches are few.",
             "   %d sections, %.2f MiB of the %.2f MiB of code. */" % (
                 len(order), hot_bytes / 1048576, total / 1048576),
             "SECTIONS", "{", "  %s :" % RUN_SECTION, "  {"]
    # Every object's static initializers run at every start (--version included): all of them
    # first, together, as ld's default script keeps them, rather than each beside its object's code.
    lines.append("    *(%s .text.startup.*)" % STARTUP)
    # Then one statement per file for its shared sections, in the order the file first appears.
    by_file = {}
    for pattern, name in order:
        if pattern is not None and name != STARTUP:
            by_file.setdefault(pattern, []).append(name)
    written = {}
    for pattern, name in order:
        if pattern is None:
            lines.append("    *(%s)" % name)
        elif pattern in by_file and pattern not in written:
            written[pattern] = None
            lines.append("    %s(%s)" % (pattern, " ".join(by_file[pattern])))
    lines += ["  }", "}", "INSERT BEFORE .text;"]
    # The read-only data of the objects whose code ran (static initializers included: leaving out
    # the objects whose initializer alone ran left 0.2 MiB more of .rodata resident), likewise
    # ahead of .rodata: what a run reads is mostly its own code's tables and strings (the objects
    # whose code never ran mostly do not read theirs).
    lines += ["SECTIONS", "{", "  %s :" % RUN_RODATA, "  {"]
    for pattern in dict.fromkeys(pattern for pattern, _ in order if pattern is not None):
        lines.append("    %s(.rodata .rodata.*)" % pattern)
    lines += ["  }", "}", "INSERT BEFORE .rodata;"]
    lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("layout: %d sections, %.2f MiB of %.2f MiB of code -> %s" % (
        len(order), hot_bytes / 1048576, total / 1048576, a.out))


if __name__ == "__main__":
    main()
