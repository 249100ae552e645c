"""Every URL rule of the app, in Chinese and in English, through the real server.

One test per (rule, method) and language: the visit of :mod:`tests.smoke.routes` (every page as
every role, every download, every form post and API call with valid data), failing on any 5xx,
any error in the server's output, a page in the wrong language, and any English sentence of the
app's catalogue on a Chinese page. The rule list comes from the app's own ``url_map``, so a new
route is a new failing test until it gets a visit; the last test checks that the requests the
suite made reached exactly the rules of the app.
"""

from __future__ import annotations

import pytest

from tests.smoke.conftest import app_url_map
from tests.smoke.routes import ROUTES, rules_of, run
from tests.smoke.suite import LANGS, SERVER_ERRORS, Smoke, first_error

pytestmark = pytest.mark.server

RULES = sorted(rules_of(app_url_map()))


def test_setup_was_clean(smoke: Smoke) -> None:
    """Building the history (logins, forms, uploads on the way) met no problem either."""
    assert not smoke.setup_problems, "\n".join(smoke.setup_problems)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("rule", "method"), RULES, ids=[f"{m} {r}" for r, m in RULES])
def test_rule(smoke: Smoke, rule: str, method: str, lang: str) -> None:
    visit = ROUTES.get((rule, method))
    assert visit is not None, f"no smoke visit for {method} {rule}: add one to tests/smoke/routes.py"
    name = f"rule: {method} {rule} [{lang}]"
    problems = smoke.run(name, lambda: run(visit, smoke, lang))
    reached = [v for v in smoke.visited(name) if (v.rule, v.method, v.lang) == (rule, method, lang)]
    if not any(v.status < 400 for v in reached):
        problems.append(f"the visit never got a 2xx/3xx answer from {method} {rule} in {lang}")
    assert not problems, "\n".join(problems)


# What a person meets who follows a stale link or types an address: the error pages, in both
# languages (the pages' and the API's own words, not only the catalogue's).
NOT_FOUND = [
    ("moderator", "/meetings/999999"),
    ("moderator", "/items/999999/edit"),
    ("viewer", "/archive/meetings/999999"),
    ("viewer", "/actions/999999"),
    ("anonymous", "/public/meetings/999999"),
    ("anonymous", "/screen/no-such-screen"),
    ("anonymous", "/j/no-such-join-link-0000"),
    ("anonymous", "/no/such/page"),
    ("viewer", "/api/v1/meetings/999999"),
    ("viewer", "/api/v1/items/999999/result"),
    ("anonymous", "/api/v1/no/such/endpoint"),
]


@pytest.mark.parametrize("lang", LANGS)
def test_not_found_pages(smoke: Smoke, lang: str) -> None:
    def visit() -> None:
        for role, path in NOT_FOUND:
            smoke.browser(role, lang).get(path, expect=404)

    problems = smoke.run(f"errors: not found [{lang}]", visit)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_refusals(smoke: Smoke, lang: str) -> None:
    """What a moderator is told when the meeting refuses (the console shows the API's message)."""
    browser, factory = smoke.moderator(lang), smoke.factory

    def visit() -> None:
        done = factory.live()
        factory.vote(done, done.items[0], ["satisfied"])
        browser.api("POST", f"/api/v1/meetings/{done.id}/next", expect=409)  # every item voted on
        absent = factory.live(present=False)
        browser.api("POST", f"/api/v1/items/{absent.items[0]}/voting/open", expect=409)  # quorum not met
        voting = factory.live()
        factory.call("POST", f"items/{voting.items[0]}/voting/open")
        browser.submit(f"/meetings/{voting.id}", f"/meetings/{voting.id}/finish", expect=409, follow=False)
        draft = factory.draft()
        taken = {"name": "重名代表", "employee_no": draft.reps[0]["employee_no"], "department": "炼钢厂"}
        page, action = f"/meetings/{draft.id}", f"/meetings/{draft.id}/representatives"
        browser.submit(page, action, taken, expect=409, follow=False)

    problems = smoke.run(f"errors: refusals [{lang}]", visit)
    assert not problems, "\n".join(problems)


def test_every_rule_has_a_visit() -> None:
    """The visits written down are exactly the app's rules (no route without one, none stale)."""
    written = set(ROUTES)
    app = set(RULES)
    assert not app - written, f"rules without a smoke visit: {sorted(app - written)}"
    assert not written - app, f"smoke visits of rules the app no longer has: {sorted(written - app)}"


def test_visits_reached_exactly_the_url_map(smoke: Smoke) -> None:
    """What the tests above requested, matched back to the app's rules, is the whole url_map in
    both languages, and nothing else (runs after them: it reads what they recorded)."""
    visits = [v for v in smoke.visits if v.test.startswith("rule: ")]
    assert visits, "no rule was visited: run the whole module (this test checks what the others did)"
    stray = sorted({v.url for v in visits if v.rule is None})
    assert not stray, f"requests that match no rule of the app: {stray}"
    for lang in LANGS:
        seen = {(v.rule, v.method) for v in visits if v.lang == lang}
        missing, extra = sorted(set(RULES) - seen), sorted(seen - set(RULES))
        assert not missing and not extra, f"[{lang}] never visited: {missing}; not in the url_map: {extra}"


def test_the_english_check_sees_english(smoke: Smoke) -> None:
    """The check that passes the Chinese pages finds the catalogue's English on every English page
    (and minutes and export file) the suite saw: it would fire on a Chinese one left untranslated."""
    assert len(smoke.english_pages) > 50, "the English pages were not visited (run the whole module)"
    assert any(".pdf" in url for url, _found in smoke.english_pages), "no English minutes were read"
    blind = sorted({url for url, found in smoke.english_pages if not found})
    assert not blind, f"no catalogue English found on these English pages and files: {blind}"


def test_the_server_log_is_clean(smoke: Smoke) -> None:
    """Nothing in the server's whole output is an error (a last look, after every visit)."""
    log = smoke.server.log_path.read_text(errors="replace")
    assert "serving on" in log, log[-2000:]
    assert not SERVER_ERRORS.search(log), first_error(log)
