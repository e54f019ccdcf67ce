#!/usr/bin/env python3
"""wordlists.py - every table given to wordlist_contains() is in strcmp order.

wordlist_contains() (src/base/wordlist.h) is a binary search: a word added
out of order to a stop-word or chatter table is silently never found.  This
finds each array named in a wordlist_contains() call, reads its string
literals and checks that they are strictly increasing by byte value (strcmp
order, no duplicates).  It reads the sources, so it needs no build.

    wordlists.py SRC_DIR
"""
import os
import re
import sys

CALL = re.compile(r"wordlist_contains\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def array_body(text, name):
    """The text between the braces of `name[] = { ... };`, or None."""
    m = re.search(r"\b" + re.escape(name) + r"\s*\[\s*\]\s*=\s*\{", text)
    if not m:
        return None
    end = text.index("};", m.end())
    return text[m.end():end]


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def main(src):
    checked, bad = 0, []
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            with open(path, encoding="utf-8") as fh:
                text = strip_comments(fh.read())
            for name in sorted(set(CALL.findall(text))):
                body = array_body(text, name)
                if body is None:
                    if name != "sorted":  # wordlist.h's own parameter
                        bad.append(f"{path}: no array '{name}[] = {{...}}' found")
                    continue
                words = [w.encode() for w in LITERAL.findall(body)]
                if not words:
                    bad.append(f"{path}: '{name}' has no words")
                for a, b in zip(words, words[1:]):
                    if not a < b:
                        bad.append(f"{path}: '{name}': \"{b.decode()}\" must come "
                                   f"before \"{a.decode()}\"" if b < a else
                                   f"{path}: '{name}': \"{a.decode()}\" twice")
                checked += 1
    for line in bad:
        print(line)
    print(f"wordlists: {checked} tables checked, {len(bad)} problems")
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.join(os.path.dirname(__file__), "..", "..", "src")))
