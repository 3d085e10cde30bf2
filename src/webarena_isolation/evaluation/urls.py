"""WebArena's ``url_match``: is the page the agent ended on the one the task expects?

Rule ``GOLD in PRED`` (the only one WebArena's tasks use): trailing slashes are ignored, some
reference's host+path must occur inside the final page's host+path, and every query parameter
of the references must have one of its reference values in the final URL's query. References
may list alternatives joined by `` |OR| ``.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

GOLD_IN_PRED = "GOLD in PRED"


def _base_and_query(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url.strip().rstrip("/"))
    return parts.netloc + parts.path, parse_qs(parts.query, keep_blank_values=True)


def url_matches(reference: str, final_url: str) -> bool:
    """Whether ``final_url`` satisfies ``reference`` under ``GOLD in PRED``."""
    references = [r for r in reference.split(" |OR| ") if r.strip()]
    if not references:
        return False
    pred_base, pred_query = _base_and_query(final_url)
    wanted: dict[str, set[str]] = defaultdict(set)
    bases = []
    for ref in references:
        base, query = _base_and_query(ref)
        bases.append(base)
        for key, values in query.items():
            wanted[key].update(values)
    if not any(base in pred_base for base in bases):
        return False
    return all(
        any(value in pred_query.get(key, []) for value in values) for key, values in wanted.items()
    )
