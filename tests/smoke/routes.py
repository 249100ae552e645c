"""Every (rule, method) of the app, and how the smoke suite visits it.

GET rules are :class:`~tests.smoke.pages.Page` entries; rules that change something are functions
(:mod:`tests.smoke.forms` for the form posts, :mod:`tests.smoke.api_calls` for the API). A new
route needs an entry here: ``test_every_rule_has_a_visit`` fails until it has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Map

from tests.smoke.api_calls import API_CALLS
from tests.smoke.forms import FORMS
from tests.smoke.pages import PAGES, Page, content_type
from tests.smoke.suite import ROLES, Smoke

IGNORED_METHODS = {"HEAD", "OPTIONS"}

ROUTES: dict[tuple[str, str], Page | Callable[[Smoke, str], None]] = {
    **{(rule, "GET"): page for rule, page in PAGES.items()},
    **FORMS,
    **API_CALLS,
}


def rules_of(url_map: Map) -> set[tuple[str, str]]:
    """(rule, method) for every rule of the app, HEAD and OPTIONS aside."""
    return {
        (rule.rule, method)
        for rule in url_map.iter_rules()
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


def visit_page(s: Smoke, page: Page, lang: str) -> None:
    """Every path as the role that uses the page, the first one as every other role too."""
    paths = page.paths(s.world)
    primary = page.primary_role(lang)
    for path in paths:
        response = s.browser(primary, lang).get(path, expect=page.status)
        if page.status == response.status_code == 200 and not page.user_file:
            kind = response.headers.get("Content-Type", "")
            wanted = content_type(path)
            if not kind.startswith(wanted) and not (wanted == "text/javascript" and "javascript" in kind):
                s.problem(f"GET {path} [{lang}, {primary}]: answered {kind!r}, expected {wanted}")
    for role in ROLES:
        if role != primary:
            s.browser(role, lang).get(paths[0], expect=page.expected(role, paths[0]))


def run(visit: Any, s: Smoke, lang: str) -> None:
    """Make one rule's visit in one language."""
    if isinstance(visit, Page):
        visit_page(s, visit, lang)
    else:
        visit(s, lang)
