"""The reach report of a campaign: counts from the results' running totals, set against its make-up."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from ..results.charts import number, percent
from ..results.labels import channel_name, group_name
from ..results.queries import answer_totals, response_totals
from ..results.report import source_names
from ..results.rollup import ANSWERED
from ..results.suppression import hidden_cells
from .computation import NOT_GIVEN, OTHER, DimensionReach, Suggestion, dimension_reach, suggestions
from .dimensions import Dimension, campaign_definition, campaign_dimensions
from .operations import stored_make_up


@dataclass
class ReachSection:
    """One dimension of the report, ready for the template."""

    dimension: Dimension
    reach: DimensionReach
    unit: str
    entered: bool
    #: ``(group name, respondents or None when fewer than the minimum)`` for every group.
    counts: list[tuple[str, int | None]]

    def name_of(self, key: str) -> str:
        return _("Everyone else") if key == OTHER else self.dimension.name_of(key)


@dataclass
class ReachReport:
    respondents: int
    min_size: int
    sections: list[ReachSection]
    advice: list[str]
    #: ``(source name, respondents, hidden)``: where the respondents were reached (each flyer, each door-to-door
    #: route or team; those with neither last); `hidden`: ``"small"``, ``"complement"`` or ``None``.
    sources: list[tuple[str, int, str | None]]


def min_group_size() -> int:
    return int(current_app.config.get("RESULTS_MIN_GROUP_SIZE", 10))


def respondents_by_group(campaign_id, dimension: Dimension, total: int) -> tuple[dict, dict]:
    """``({group: respondents}, {channel: {group: respondents}})``; ``""`` counts those who did not say."""
    if dimension.question_key is None:
        counts = dict(response_totals(campaign_id, (dimension.key,)))
        by_channel: dict = {}
        for group, channel, count in response_totals(campaign_id, (dimension.key, "channel")):
            by_channel.setdefault(channel, {})[group] = count
        return counts, by_channel
    rows = answer_totals(campaign_id, None, dimension.question_key)
    counts = {value: count for _key, value, count in rows if value != ANSWERED}
    counts[NOT_GIVEN] = total - sum(count for _key, value, count in rows if value == ANSWERED)
    by_channel = {}
    for _key, value, channel, count in answer_totals(campaign_id, "channel", dimension.question_key):
        if value != ANSWERED:
            by_channel.setdefault(channel, {})[value] = count
    return counts, by_channel


def respondents_by_source(campaign_id, language: str, min_size: int) -> list[tuple[str, int, str | None]]:
    """``(source name, respondents, hidden)`` per source; `hidden` as `hidden_cells` says (the sources add up to
    the respondents, so a small one is not left to be worked out). The shown ones come first, most first; the
    hidden ones after them in a fixed order, so that their order tells nothing either."""
    names = source_names(campaign_id)
    rows = [(source_id, count) for source_id, count in response_totals(campaign_id, ("source",)) if count]
    hidden = hidden_cells([count for _source_id, count in rows], min_size)
    ordered = sorted(zip(rows, hidden, strict=True),
                     key=lambda item: (item[1] is not None, not item[0][0],
                                       -item[0][1] if item[1] is None else 0, item[0][0]))
    return [(group_name("source", source_id, language, names), count, why)
            for (source_id, count), why in ordered]


def languages_of_note(dimension: Dimension, campaign_languages: list[str], counts: dict,
                      amounts: dict) -> Dimension:
    """The campaign's languages, any a response was given in, and any whose share of residents was entered (its
    advice may be to add it); not all twelve the app speaks."""
    kept = [(key, name) for key, name in dimension.groups
            if key in campaign_languages or counts.get(key) or amounts.get(key)]
    return Dimension(dimension.key, dimension.title, kept)


def reach_report(campaign, language: str) -> ReachReport:
    """Every dimension of the campaign against its entered make-up, and where to go next."""
    min_size = min_group_size()
    total = sum(count for *_group, count in response_totals(campaign.id))
    make_up = stored_make_up(campaign.id)
    sections, by_channel = [], {}
    languages = campaign_definition(campaign).get("languages", [])
    for dimension in campaign_dimensions(campaign, language):
        counts, by_channel[dimension.key] = respondents_by_group(campaign.id, dimension, total)
        unit, amounts = make_up.get(dimension.key, ("percent", {}))
        if dimension.key == "language":
            dimension = languages_of_note(dimension, languages, counts, amounts)
        reach = dimension_reach(dimension.key, counts, amounts, unit, min_size)
        shown = [(name, counts.get(key, 0) if counts.get(key, 0) >= min_size else None)
                 for key, name in dimension.groups]
        sections.append(ReachSection(dimension, reach, unit, bool(amounts), shown))
    entered = [section.reach for section in sections if section.entered]
    found = suggestions(entered, by_channel, languages, min_size)
    names = {section.dimension.key: section for section in sections}
    return ReachReport(total, min_size, sections, [advice_text(s, names[s.dimension], min_size) for s in found],
                       respondents_by_source(campaign.id, language, min_size))


def shortfall(suggestion: Suggestion, min_size: int) -> str:
    """How much too little the group was heard, without giving a small number away."""
    group = suggestion.group
    if group.suppressed:
        return _("fewer than {min} answered, where about {expected} would match the share of residents").format(
            min=min_size, expected=number(round(group.expected)))
    return _("{short} fewer answers than the share of residents would give").format(
        short=percent(1 - group.relative))


def advice_text(suggestion: Suggestion, section: ReachSection, min_size: int) -> str:
    """One suggestion in words."""
    name = section.name_of(suggestion.key)
    if suggestion.kind == "channel":
        return _("{name}: {channel} reached them better than the other channel; plan more of it.").format(
            name=name, channel=channel_name(suggestion.channel))
    if suggestion.kind == "add_language":
        return _("Add {language} to the campaign: about {share} of the residents speak it, and they cannot "
                 "answer in it yet.").format(language=name, share=percent(suggestion.group.share))
    why = shortfall(suggestion, min_size)
    if suggestion.kind == "go":
        return _("Go to {buurt}: {why}.").format(buurt=name, why=why)
    if suggestion.dimension == "language":
        return _("Reach more residents who speak {language}, with field workers who speak it and flyers in "
                 "it: {why}.").format(language=name, why=why)
    if suggestion.dimension == "age_bracket":
        return _("Reach more residents aged {age}: {why}.").format(age=name, why=why)
    return _("Reach more residents who answer “{group}” to “{question}”: {why}.").format(
        group=name, question=section.dimension.title, why=why)
