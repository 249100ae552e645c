"""The smoke suite's own checks, without a server: the English finder, the visible text of a page,
the form filler and the error boxes. (Not marked ``server``: they start nothing.)"""

from __future__ import annotations

from babel.messages.pofile import read_po

from tests.smoke.browser import find_form, with_lang
from tests.smoke.english import catalogue_files, english_in, phrases, visible_text
from tests.smoke.suite import error_messages


def _translations() -> dict[str, str]:
    out = {}
    for po in catalogue_files():
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                    out[message.id] = message.string
    return out


def test_every_catalogue_gives_phrases() -> None:
    sources = {p.source for p in phrases()}
    assert sources == {po.name for po in catalogue_files()}
    assert all(len(p.words) >= 1 for p in phrases()) and len(phrases()) > 100


def test_a_catalogue_sentence_is_found_in_a_chinese_page_and_its_translation_is_not() -> None:
    zh = _translations()
    plain = next(p for p in phrases() if "%" not in p.msgid and "{" not in p.msgid and zh.get(p.msgid))
    page = f"<html lang=zh-CN><body><h1>评价会</h1><p>提示：{plain.msgid}</p></body></html>"
    assert plain in english_in(visible_text(page))
    translated = f"<html lang=zh-CN><body><p>提示：{zh[plain.msgid]}</p></body></html>"
    assert english_in(visible_text(translated)) == []


def test_placeholders_match_what_fills_them() -> None:
    template = next(p for p in phrases() if "%(" in p.msgid and not p.msgid.startswith("%"))
    import re

    filled = re.sub(r"%\(\w+\)s", "第3行", template.msgid)
    assert template in english_in(f"说明 {filled} 结束")


def test_single_words_and_words_inside_words_are_not_english_sentences() -> None:
    assert english_in("请下载 PDF 文件 · Excel/CSV") == []
    phrase = next(p for p in phrases() if p.msgid[0].isalpha() and " " in p.msgid and "%" not in p.msgid)
    assert english_in("x" + phrase.msgid) == []  # glued to another word: not that phrase


def test_visible_text_takes_what_people_see() -> None:
    page = """<html><head><title>标题</title><style>.a{content:"Hidden style"}</style>
    <script>var s = "Hidden script";</script></head><body>
    <p>段落 <strong>加粗</strong></p><input placeholder="Shown placeholder" type="text" value="typed by user">
    <input type="submit" value="Shown button"><button data-confirm="Shown confirm">按钮</button>
    <td data-label="Shown label">格</td><span aria-label="Shown aria">图</span>
    <script type="application/json">{"s": {"a": "Shown json"}, "f": {"message_en": "Hidden en"}}</script>
    </body></html>"""
    text = visible_text(page)
    for shown in (
        "标题",
        "段落 加粗",
        "Shown placeholder",
        "Shown button",
        "Shown confirm",
        "Shown label",
        "Shown aria",
        "Shown json",
    ):
        assert shown in text
    for hidden in ("Hidden style", "Hidden script", "Hidden en", "typed by user"):
        assert hidden not in text


def test_a_form_is_sent_as_a_browser_sends_it() -> None:
    page = """<form method="post" action="/meetings/3/edit"><input type="hidden" name="csrf_token" value="T">
    <input name="title" value="旧"><fieldset disabled><input name="quorum" value="2/3"></fieldset>
    <input type="hidden" name="rehearsal" value="off"><input type="checkbox" name="rehearsal" value="on">
    <select name="scale"><option value="a">A</option><option value="b" selected>B</option></select>
    <textarea name="note">备注</textarea><button type="submit">保存</button></form>
    <form method="post"><input name="q" value="1"></form>"""
    form = find_form(page, "/meetings/3/edit")
    assert form.payload() == [
        ("csrf_token", "T"),
        ("title", "旧"),
        ("rehearsal", "off"),
        ("scale", "b"),
        ("note", "备注"),
    ]
    assert find_form(page, "/login", page="/login?next=/x").action == "/login?next=/x"  # no action: the page


def test_english_is_asked_for_with_a_parameter_and_chinese_by_default() -> None:
    assert with_lang("/archive?q=铜板", "en") == "/archive?q=%E9%93%9C%E6%9D%BF&lang=en"
    assert with_lang("/archive?q=铜板", "zh") == "/archive?q=铜板"


def test_error_boxes_are_found() -> None:
    page = """<p class="error-message">meeting 9 not found</p><div class="flash flash-error" role="alert">
    <strong>未保存。</strong> 标题：必填</div><span class="field-error" id="x">must be text</span>
    <p class="muted">Error code</p>"""
    assert error_messages(page) == ["meeting 9 not found", "未保存。 标题：必填", "must be text"]
