"""Benchmark: the coach's drafts over a generated corpus, per language: the checks, and a sample to read.

The corpus is the one of tests/test_draft_corpus.py (tests/support/draft_corpus.py): every draft builder
(ladder steps, /coach tweet, asks, countdown stages, the outcome thank-you, /hashtag) over seeded random
profiles and issues with the hard cases (long names and titles, 15-character handles, emoji and flags, foreign
TLDs, 100-character hashtags, many media handles, several politicians). For each language the script prints
how many drafts are over X's limit by the twitter-text port, carry a cut handle, hashtag or link, have a link
button over Discord's 512 characters, lack the hashtag they promise, or lack their X button; then a sample of
drafts for a person to read (naturalness, concreteness: what the checks cannot tell).

    .venv/bin/python bench/coach_quality.py [--cases N] [--sample N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.services import drafts
from tests.support import draft_corpus

CHECKS = (("over X's limit (twitter-text port)", "over_x"),
          ("a handle, hashtag or link cut or unknown", "cut_entities"),
          ("a link button over 512 characters", "long_buttons"),
          ("without the hashtag it promises", "missing_hashtag"),
          ("without its X button", "missing_x_button"),
          ("X button with another text than the draft", "x_button_differs"),
          ("x_length differs from the port's whole-text count", "count_differs"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40, help="generated profiles and issues per language")
    parser.add_argument("--sample", type=int, default=20, help="drafts to print for reading, per language")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    for language in draft_corpus.LANGUAGES:
        started = time.perf_counter()
        corpus = draft_corpus.generate(language, args.cases, args.seed)
        counts = draft_corpus.check(corpus)
        elapsed = time.perf_counter() - started
        builders = ", ".join(f"{name} {count}" for name, count in sorted(counts.by_builder.items()))
        lengths = sorted(drafts.x_length(draft.text) for draft in corpus)
        shortened = sum(drafts.ELLIPSIS in draft.text for draft in corpus)
        print(f"\n== {language}: {counts.drafts} drafts ({builders}) in {elapsed:.1f} s")
        median = lengths[len(lengths) // 2]
        print(f"   X length: median {median}, max {lengths[-1]}; shortened (…): {shortened}")
        for label, name in CHECKS:
            print(f"   {getattr(counts, name):5d}  {label}")
        for problem in counts.problems[:10]:
            print("   !", problem)
        print(f"\n-- {args.sample} drafts to read ({language}):")
        rng = random.Random(f"sample-{args.seed}-{language}")
        for draft in rng.sample(corpus, min(args.sample, len(corpus))):
            print(f"\n[{draft.builder}, {drafts.x_length(draft.text)}] {draft.text}")


if __name__ == "__main__":
    main()
