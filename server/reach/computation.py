"""Who has not been heard yet: respondents set against the neighbourhood's make-up (no database, no Flask).

For one dimension (age, language, buurt, or a question's choices), each group's *relative participation* is
its share of the respondents divided by its share of the residents: 1 is a fair share, 0.5 half of it. The
*representation score* is the lowest relative participation divided by the highest (1: every group heard
alike). Groups with fewer respondents than the minimum size are never shown with their number, and neither
are as many others as it takes to keep them from being worked out (see `server.results.suppression`). The
score then becomes an upper bound worked out from the minimum size, so it cannot give a small number away.
"""

from dataclasses import dataclass, field

from ..results.suppression import hidden_cells

#: Groups named in the suggestions when they gave less than this share of what their size would give.
SUGGEST_BELOW = 0.8
#: A share of residents left over (percentages under 100) becomes its own group above this.
REMAINDER_ABOVE = 0.005
OTHER = "__other__"
NOT_GIVEN = ""


@dataclass
class GroupFigure:
    """One group of residents and how well it was heard."""

    key: str
    share: float
    #: Respondents, their share, and relative participation; ``None`` when the group is too small to show.
    respondents: int | None
    respondent_share: float | None
    relative: float | None
    #: Respondents the group's share would give.
    expected: float
    #: Not shown: ``small`` (fewer respondents than the minimum size; `bound` is then the most its relative
    #: participation can be) or ``complement`` (hidden so that a small group cannot be worked out).
    hidden: str | None = None
    bound: float | None = None

    @property
    def suppressed(self) -> bool:
        return self.hidden is not None


@dataclass
class DimensionReach:
    """How one dimension's groups were heard."""

    dimension: str
    groups: list[GroupFigure] = field(default_factory=list)
    #: Respondents who told this (``None`` below the minimum size), who did not, and who are in groups
    #: without a share.
    respondents: int | None = None
    not_given: int | None = None
    outside: int | None = None
    score: float | None = None
    score_is_bound: bool = False
    too_few: bool = False


def level(group: GroupFigure) -> float | None:
    """Relative participation, or its upper bound for a small group; ``None`` when it cannot be told."""
    return group.relative if not group.suppressed else group.bound


def shares(amounts: dict[str, float], unit: str) -> dict[str, float]:
    """Shares (0 to 1) from percentages or from numbers of residents; percentages under 100 leave an
    `OTHER` group with the rest."""
    amounts = {key: value for key, value in amounts.items() if value > 0}
    if unit == "count":
        total = sum(amounts.values())
        return {key: value / total for key, value in amounts.items()} if total else {}
    found = {key: value / 100 for key, value in amounts.items()}
    rest = 1 - sum(found.values())
    if rest > REMAINDER_ABOVE:
        found[OTHER] = rest
    return found


def shown(count: int, min_size: int) -> int | None:
    return count if count >= min_size else None


def dimension_reach(dimension: str, counts: dict[str, int], amounts: dict[str, float], unit: str,
                    min_size: int) -> DimensionReach:
    """Set respondents per group (`counts`, ``""`` for "not given") against the entered group sizes."""
    population = shares(amounts, unit)
    listed = {key: n for key, n in counts.items() if key in population}
    unlisted = sum(n for key, n in counts.items() if key not in population and key != NOT_GIVEN)
    if OTHER in population:
        listed[OTHER], unlisted = unlisted, 0
    known = sum(listed.values())
    reach = DimensionReach(dimension, respondents=shown(known, min_size),
                           not_given=shown(counts.get(NOT_GIVEN, 0), min_size), outside=shown(unlisted, min_size),
                           too_few=known < min_size)
    keys = list(population)
    hidden = hidden_cells([listed.get(key, 0) for key in keys], min_size)
    for key, why in zip(keys, hidden, strict=True):
        reach.groups.append(group_figure(key, population[key], listed.get(key, 0), known, min_size,
                                         "small" if reach.too_few else why))
    reach.score, reach.score_is_bound = representation_score(reach.groups)
    return reach


def group_figure(key: str, share: float, count: int, known: int, min_size: int, hidden: str | None) -> GroupFigure:
    expected = share * known
    if hidden is not None:
        bound = (min_size - 1) / known / share if known >= min_size and hidden == "small" else None
        return GroupFigure(key, share, None, None, None, expected, hidden, bound)
    respondent_share = count / known
    return GroupFigure(key, share, count, respondent_share, respondent_share / share, expected)


def representation_score(groups: list[GroupFigure]) -> tuple[float | None, bool]:
    """``(lowest / highest relative participation, whether it is only an upper bound)``.

    With hidden groups: the lowest is at most the lowest shown or bounded one, the highest at least the highest
    shown one, so their quotient bounds the true score from above.
    """
    visible = [g.relative for g in groups if not g.suppressed]
    if len(groups) < 2 or not visible or max(visible) <= 0:
        return None, False
    bounds = [g.bound for g in groups if g.bound is not None]
    return min(visible + bounds) / max(visible), any(g.suppressed for g in groups)


# --- where to go next --------------------------------------------------------------------------------

@dataclass
class Suggestion:
    """A group that was heard too little, and how to reach it."""

    dimension: str
    key: str
    #: ``go``: visit (a buurt); ``add_language``: the campaign does not offer the language yet;
    #: ``reach``: reach more of the group; ``channel``: this channel reached the group better.
    kind: str
    group: GroupFigure
    channel: str | None = None


def better_channel(key: str, by_channel: dict[str, dict[str, int]], min_size: int) -> str | None:
    """The channel whose respondents include the most of group `key` (relatively), if both are large enough."""
    rates = {}
    for channel, counts in by_channel.items():
        total = sum(n for group, n in counts.items() if group != NOT_GIVEN)
        if total < min_size:
            return None
        rates[channel] = counts.get(key, 0) / total
    if len(rates) < 2 or len(set(rates.values())) < 2:
        return None
    return max(rates, key=rates.get)


def suggestions(reaches: list[DimensionReach], by_channel: dict[str, dict], campaign_languages: list[str],
                min_size: int, most: int = 6) -> list[Suggestion]:
    """Groups heard less than `SUGGEST_BELOW` of their share, the least heard first (at most `most`), each
    followed by the channel that reached that group better, where the numbers allow telling."""
    found = []
    for reach in reaches:
        for group in reach.groups:
            if group.key == OTHER or level(group) is None or level(group) >= SUGGEST_BELOW:
                continue
            if group.hidden == "small" and group.expected < min_size:
                continue  # a small group expected to be small: nothing to tell
            kind = "go" if reach.dimension == "buurt" else "reach"
            if reach.dimension == "language" and group.key not in campaign_languages:
                kind = "add_language"
            found.append(Suggestion(reach.dimension, group.key, kind, group))
    found.sort(key=lambda suggestion: level(suggestion.group))
    result = []
    for suggestion in found[:most]:
        result.append(suggestion)
        channel = better_channel(suggestion.key, by_channel.get(suggestion.dimension, {}), min_size)
        if channel and suggestion.kind != "add_language":
            result.append(Suggestion(suggestion.dimension, suggestion.key, "channel", suggestion.group, channel))
    return result
