"""Every stored code has one label, in each vocabulary that names it; the file vocabularies have
no gettext context (the exports translate plain ids); records read in Chinese."""

from __future__ import annotations

from evalmeet.domain import labels
from evalmeet.domain.sheets import PRESETS
from evalmeet.domain.states import (
    ACTION_KINDS,
    ACTION_STATUSES,
    ITEM_STATUSES,
    MEETING_STATUSES,
    PROCUREMENT_METHODS,
)
from evalmeet.i18n import Label, chinese


def test_each_vocabulary_names_exactly_the_codes_it_is_about_in_their_order():
    every_choice = tuple(dict.fromkeys(key for scale in PRESETS.values() for key in scale.keys))
    assert tuple(labels.MEETING_STATUS_LABELS) == MEETING_STATUSES
    assert tuple(labels.ITEM_STATUS_LABELS) == tuple(labels.ITEM_RESULT_LABELS) == ITEM_STATUSES
    assert tuple(labels.PROCUREMENT_METHOD_LABELS) == PROCUREMENT_METHODS
    assert tuple(labels.SCALE_LABELS) == (*PRESETS, "custom")  # a custom scale names its own choices
    assert tuple(labels.CHOICE_LABELS) == every_choice
    assert tuple(labels.ACTION_KIND_LABELS) == ACTION_KINDS
    assert tuple(labels.ACTION_STATUS_LABELS) == tuple(labels.ACTION_PROGRESS_LABELS) == ACTION_STATUSES


def test_the_vocabularies_the_file_exports_use_carry_no_context():
    for vocabulary in (
        labels.PROCUREMENT_METHOD_LABELS,
        labels.SCALE_LABELS,
        labels.CHOICE_LABELS,
        labels.ACTION_KIND_LABELS,
        labels.ACTION_PROGRESS_LABELS,
        labels.ITEM_RESULT_LABELS,
    ):
        assert all(isinstance(label, Label) and label.context is None for label in vocabulary.values())


def test_the_record_and_the_page_words_differ_where_they_are_meant_to():
    assert chinese(labels.ACTION_STATUS_LABELS["open"]) == "待办"
    assert chinese(labels.ACTION_PROGRESS_LABELS["open"]) == "未开始"
    assert chinese(labels.ITEM_STATUS_LABELS["pending"]) == "待评价"
    assert chinese(labels.ITEM_RESULT_LABELS["pending"]) == "未表决"
    assert chinese(labels.ACTION_KIND_LABELS["reassignment"]) == "调离岗位"
    assert chinese(labels.PROCUREMENT_METHOD_LABELS["single_source"]) == "单一来源"
