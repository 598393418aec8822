"""The reach computation against figures worked out by hand, and the suppression of small groups."""

import pytest

from server.reach.computation import (
    OTHER,
    better_channel,
    dimension_reach,
    representation_score,
    shares,
    suggestions,
)


def figures(reach) -> dict:
    return {g.key: (g.respondents, g.relative, g.suppressed) for g in reach.groups}


def test_fair_shares_by_hand():
    # residents 20 / 30 / 50 %; respondents 10 / 30 / 60 of 100
    reach = dimension_reach("age_bracket", {"18-26": 10, "27-40": 30, "41-65": 60},
                            {"18-26": 20, "27-40": 30, "41-65": 50}, "percent", 10)
    assert figures(reach) == {"18-26": (10, pytest.approx(0.5), False), "27-40": (30, pytest.approx(1.0), False),
                              "41-65": (60, pytest.approx(1.2), False)}
    assert [g.expected for g in reach.groups] == pytest.approx([20, 30, 50])
    assert reach.score == pytest.approx(0.5 / 1.2)  # 0.4167
    assert reach.score_is_bound is False and reach.respondents == 100


def test_percentages_under_100_leave_an_other_group():
    # nl 60 %, tr 20 %: the other 20 % are everyone else; ar and en respondents (15 + 5) belong there
    reach = dimension_reach("language", {"nl": 70, "tr": 10, "ar": 15, "en": 5}, {"nl": 60, "tr": 20},
                            "percent", 10)
    assert figures(reach) == {"nl": (70, pytest.approx(0.7 / 0.6), False), "tr": (10, pytest.approx(0.5), False),
                              OTHER: (20, pytest.approx(1.0), False)}
    assert reach.score == pytest.approx(0.5 / (0.7 / 0.6))  # 0.4286


def test_numbers_of_residents_become_shares_and_unknowns_stay_apart():
    # 3000 and 1000 residents: 75 % and 25 %; 7 respondents did not say where they live
    reach = dimension_reach("buurt", {"Noord": 90, "Zuid": 10, "": 7}, {"Noord": 3000, "Zuid": 1000}, "count", 10)
    assert [g.share for g in reach.groups] == pytest.approx([0.75, 0.25])
    assert figures(reach) == {"Noord": (90, pytest.approx(1.2), False), "Zuid": (10, pytest.approx(0.4), False)}
    assert reach.score == pytest.approx(1 / 3)
    assert reach.not_given is None  # 7 is below the minimum size: not told


def test_a_small_group_is_never_shown_nor_can_it_be_worked_out():
    # 18-26 has 4 respondents: hidden as small. 27-40 (36) is hidden too: with 27-40 shown, 4 = 100 - 36 - 60.
    reach = dimension_reach("age_bracket", {"18-26": 4, "27-40": 36, "41-65": 60},
                            {"18-26": 20, "27-40": 30, "41-65": 50}, "percent", 10)
    small, complement, large = reach.groups
    assert (small.respondents, small.respondent_share, small.relative, small.hidden) == (None, None, None, "small")
    assert (complement.respondents, complement.relative, complement.hidden) == (None, None, "complement")
    assert (large.respondents, large.relative) == (60, pytest.approx(1.2))
    # the small group's relative participation is below (9 / 100) / 0.2 = 0.45, the highest shown is 1.2
    assert small.bound == pytest.approx(0.45) and complement.bound is None
    assert reach.score == pytest.approx(0.45 / 1.2)  # at most 0.375; in truth 0.2 / 1.2
    assert reach.score_is_bound is True
    shown_values = [value for g in reach.groups for value in (g.respondents, g.respondent_share, g.relative)]
    assert 4 not in shown_values and 36 not in shown_values


def test_whatever_the_small_number_the_shown_figures_are_the_same():
    def shown(hidden):  # 27-40 and the small group make up 40 together, whatever the split
        reach = dimension_reach("age_bracket", {"18-26": hidden, "27-40": 40 - hidden, "41-65": 60},
                                {"18-26": 20, "27-40": 30, "41-65": 50}, "percent", 10)
        return [(g.respondents, g.relative, g.hidden, g.bound) for g in reach.groups], reach.score
    assert len({repr(shown(hidden)) for hidden in range(1, 10)}) == 1


def test_a_group_nobody_came_from_is_shown_as_zero():
    reach = dimension_reach("buurt", {"Noord": 100}, {"Noord": 80, "Zuid": 20}, "percent", 10)
    assert figures(reach)["Zuid"] == (0, 0.0, False)
    assert reach.score == 0.0 and reach.score_is_bound is False


def test_too_few_respondents_show_nothing():
    reach = dimension_reach("buurt", {"Noord": 5, "Zuid": 3}, {"Noord": 50, "Zuid": 50}, "percent", 10)
    assert reach.too_few and reach.respondents is None and reach.score is None
    assert all(g.hidden == "small" and g.bound is None for g in reach.groups)


def test_the_minimum_size_is_a_setting():
    counts, amounts = {"Noord": 12, "Zuid": 3, "Centrum": 6}, {"Noord": 40, "Zuid": 30, "Centrum": 30}
    five = dimension_reach("buurt", counts, amounts, "percent", 5)
    assert [g.hidden for g in five.groups] == [None, "small", "complement"]  # 3 + 6 = 9: enough at 5
    assert figures(five)["Noord"] == (12, pytest.approx((12 / 21) / 0.4), False)
    ten = dimension_reach("buurt", counts, amounts, "percent", 10)
    assert [g.hidden for g in ten.groups] == ["complement", "small", "small"]


def test_shares_ignore_empty_groups_and_round_to_a_full_hundred():
    assert shares({"a": 50, "b": 0, "c": 49.8}, "percent") == pytest.approx({"a": 0.5, "c": 0.498})
    assert shares({"a": 40, "b": 40}, "percent") == pytest.approx({"a": 0.4, "b": 0.4, OTHER: 0.2})
    assert shares({}, "count") == {}


def test_score_needs_two_groups():
    only = dimension_reach("buurt", {"Noord": 50}, {"Noord": 100}, "percent", 10)
    assert only.score is None
    assert representation_score([]) == (None, False)


def test_the_better_channel_is_the_one_whose_respondents_include_more_of_the_group():
    by_channel = {"door_to_door": {"66-79": 30, "27-40": 70}, "flyer": {"66-79": 2, "27-40": 98}}
    assert better_channel("66-79", by_channel, 10) == "door_to_door"
    assert better_channel("66-79", {"door_to_door": {"66-79": 3}, "flyer": {"66-79": 1, "27-40": 50}}, 10) is None
    assert better_channel("66-79", {"door_to_door": {"66-79": 30}}, 10) is None


def test_suggestions_name_the_least_heard_groups_first():
    buurt = dimension_reach("buurt", {"Noord": 90, "Zuid": 10}, {"Noord": 75, "Zuid": 25}, "percent", 10)  # 0.4
    language = dimension_reach("language", {"nl": 180, "tr": 20}, {"nl": 60, "tr": 30, "pl": 10}, "percent", 10)
    age = dimension_reach("age_bracket", {"18-26": 45, "27-40": 55}, {"18-26": 50, "27-40": 50}, "percent", 10)
    by_channel = {"buurt": {"door_to_door": {"Noord": 40, "Zuid": 9}, "flyer": {"Noord": 50, "Zuid": 1}}}
    found = suggestions([buurt, language, age], by_channel, ["nl", "tr"], 10)
    described = [(s.dimension, s.key, s.kind) for s in found]
    # pl: nobody came (0); tr: 0.1 / 0.3 = 0.33; Zuid: 0.1 / 0.25 = 0.4; nl and Noord are heard more than enough
    assert described == [("language", "pl", "add_language"), ("language", "tr", "reach"), ("buurt", "Zuid", "go"),
                         ("buurt", "Zuid", "channel")]
    assert found[3].channel == "door_to_door"
    assert ("age_bracket", "18-26") not in [(s.dimension, s.key) for s in found]  # 0.9: heard well enough


def test_a_small_group_is_suggested_by_its_bound():
    # 80+: 3 respondents where 10 % of 200 = 20 would be expected: bound (9 / 200) / 0.1 = 0.45
    reach = dimension_reach("age_bracket", {"80+": 3, "41-65": 150, "27-40": 47}, {"80+": 10, "41-65": 60,
                                                                                 "27-40": 30}, "percent", 10)
    found = suggestions([reach], {}, [], 10)
    assert [(s.key, s.kind) for s in found] == [("80+", "reach")]
    assert found[0].group.respondents is None


def test_small_groups_expected_to_be_small_are_not_suggested():
    # 1 % of 200 residents would be 2 respondents: having fewer than 10 says nothing
    reach = dimension_reach("age_bracket", {"80+": 1, "41-65": 199}, {"80+": 1, "41-65": 99}, "percent", 10)
    assert suggestions([reach], {}, [], 10) == []
