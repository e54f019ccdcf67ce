#!/usr/bin/env python3
"""gen_corpus.py - a deterministic, invented corpus in the shipped layout.

Every letter here is invented: sentences are drawn at random from the
vocabulary of the shipped letters (weighted by how often each word occurs
there) plus a set of made-up rare words, so the text has the shape of the
real correspondence without being any of it.  Same seed, same bytes.

    bench/gen_corpus.py --passages 1000000 --seed 1941 --out big.txt

Layout, as in data/stalin-churchill-1941.txt: a heading naming sender and
recipient (forms the importer knows), 5-10 one-line paragraphs of about 400
bytes, a date line, a "Source:" line, blank lines between letters.  Writes a
JSON sidecar (OUT.json) with the counts and the planted words, so a
benchmark can pick queries without reading the text back.
"""
import argparse
import json
import os
import random
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "data", "stalin-churchill-1941.txt")

PEOPLE = [
    ("Stalin", ["Stalin", "J. V. Stalin", "PREMIER STALIN", "Marshal Stalin"]),
    ("Churchill", ["Mr Churchill", "W. CHURCHILL", "PRIME MINISTER CHURCHILL",
                   "Winston Churchill"]),
    ("Roosevelt", ["President Roosevelt", "F. D. ROOSEVELT", "Franklin D. Roosevelt"]),
    ("Attlee", ["Mr Attlee", "C. R. ATTLEE"]),
    ("Truman", ["President Truman", "H. S. TRUMAN"]),
]
HEADINGS = [
    "Personal Message from {s} to {r}",
    "{S} TO {R}",
    "MESSAGE FROM {S} TO {R}",
    "Personal and Secret Message from {s} to {r}",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
SYLLABLES = ["ka", "ro", "vin", "dal", "mer", "tus", "zo", "lek", "pra", "nov",
             "gri", "sha", "bel", "tor", "quo", "zen", "myr", "ash", "ulf", "ix"]
# Planted words: known rare literals for !grep and !search benches, with
# the share of passages that carry each.
PLANTED = {"Tirpitz": 0.0005, "Murmansk": 0.002, "Archangel": 0.01}


def shipped_vocabulary():
    with open(SHIPPED, encoding="utf-8") as f:
        text = f.read()
    words = re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]", text)
    forms = Counter(words)
    # One spelling per word: the commonest case form.
    best = {}
    for w, n in forms.items():
        k = w.lower()
        if k not in best or n > forms[best[k]]:
            best[k] = w
    freq = Counter(w.lower() for w in words)
    vocab = [best[k] for k in sorted(freq)]
    weights = [freq[k] for k in sorted(freq)]
    return vocab, weights


def rare_words(rng, n):
    out = set()
    while len(out) < n:
        out.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passages", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1941)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    vocab, weights = shipped_vocabulary()
    rare = rare_words(rng, 20000)
    # Rare words together carry ~1% of tokens, each one a handful of times.
    total = sum(weights)
    vocab += rare
    weights += [total * 0.01 / len(rare)] * len(rare)
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)

    def sentence():
        n = rng.randint(8, 24)
        ws = rng.choices(vocab, cum_weights=cum, k=n)
        ws[0] = ws[0][:1].upper() + ws[0][1:]
        if n > 12 and rng.random() < 0.5:
            ws[n // 2] += ","
        return " ".join(ws) + "."

    def passage():
        parts = []
        size = 0
        target = rng.randint(280, 440)
        while size < target:
            s = sentence()
            parts.append(s)
            size += len(s) + 1
        for word, share in PLANTED.items():
            if rng.random() < share:
                parts.insert(rng.randrange(len(parts) + 1),
                             f"The {word} question remains open.")
        return " ".join(parts)

    written = letters = 0
    with open(args.out, "w", encoding="utf-8") as out:
        while written < args.passages:
            s, r = rng.sample(PEOPLE, 2)
            sname, rname = rng.choice(s[1]), rng.choice(r[1])
            form = rng.choice(HEADINGS)
            out.write(form.format(s=sname, r=rname, S=sname.upper(),
                                  R=rname.upper()) + "\n\n")
            n = min(rng.randint(5, 10), args.passages - written)
            for _ in range(n):
                out.write(passage() + "\n\n")
            year = rng.randint(1941, 1945)
            out.write(f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {year}\n\n")
            out.write(f"Source: invented by bench/gen_corpus.py, seed {args.seed}\n\n")
            written += n
            letters += 1
    meta = {"passages": written, "letters": letters, "seed": args.seed,
            "planted": PLANTED, "bytes": os.path.getsize(args.out)}
    with open(args.out + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{args.out}: {letters} letters, {written} passages, "
          f"{meta['bytes'] / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
