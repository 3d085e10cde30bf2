"""WebArena's string rules: how an answer (or page text) is compared with a reference.

Written from the behaviour WebArena's ``StringEvaluator`` documents: both sides are stripped,
one pair of surrounding quotes is dropped and the text is lower-cased; ``exact_match`` compares
the cleaned strings, ``must_include`` looks for the reference inside the prediction, as a whole
token when the reference is the only one and a single word (so ``"0"`` is not found in
``"10"``). WebArena tokenizes with NLTK; :func:`tokens` is a small regex stand-in that keeps
numbers such as ``3.5`` and ``1,234`` whole.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+(?:[.,']\w+)*|[^\w\s]")


def clean_answer(text: str) -> str:
    """Strip, drop one pair of surrounding quotes, lower-case."""
    cleaned = text.strip()
    for quote in ("'", '"'):
        if len(cleaned) >= 2 and cleaned.startswith(quote) and cleaned.endswith(quote):
            cleaned = cleaned[1:-1]
            break
    return cleaned.lower()


def tokens(text: str) -> list[str]:
    """Words, numbers and single punctuation marks of ``text``."""
    return _TOKEN.findall(text)


def exact_match(reference: str, prediction: str) -> bool:
    """The cleaned strings are equal."""
    return clean_answer(reference) == clean_answer(prediction)


def must_include(reference: str, prediction: str, *, tokenize: bool = False) -> bool:
    """The cleaned reference occurs in the cleaned prediction.

    Args:
        reference: what must be there.
        prediction: the answer or page text.
        tokenize: match a one-word reference only as a whole token of the prediction.
    """
    ref, pred = clean_answer(reference), clean_answer(prediction)
    if tokenize and len(tokens(ref)) == 1:
        return ref in tokens(pred)
    return ref in pred
