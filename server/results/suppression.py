"""Which counts a page may not show, so that no resident can be singled out.

A count from 1 to ``min_size - 1`` is hidden ("fewer than N"). Where the hidden counts could be worked out
from a known total (answers that exclude each other, groups that make up the respondents), more are hidden,
the smallest first, until the hidden ones together reach `min_size`: then only a sum that is not small can
be worked out. Zero is shown: it singles nobody out.
"""


def small(count: int, min_size: int) -> bool:
    return 0 < count < min_size


def hidden_cells(counts: list[int], min_size: int, adds_up: bool = True) -> list[str | None]:
    """Per count ``None`` (shown), ``"small"`` (below the minimum) or ``"complement"`` (hidden so that a small
    one cannot be worked out; only when the counts `adds_up` to a known total)."""
    hidden: list[str | None] = ["small" if small(count, min_size) else None for count in counts]
    while adds_up and small(sum(c for c, h in zip(counts, hidden, strict=True) if h), min_size):
        shown = [(count, index) for index, (count, h) in enumerate(zip(counts, hidden, strict=True))
                 if h is None and count > 0]
        if not shown:
            break
        hidden[min(shown)[1]] = "complement"
    return hidden
