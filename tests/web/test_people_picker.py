"""The responsible-person picker: items name an existing person by ``responsible_person.id`` (API
and item form), so a typo makes no new person and namesakes stay apart; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from evalmeet.extensions import db
from evalmeet.models import Item, ResponsiblePerson
from tests.conftest import both_databases, csrf_token
from tests.static_names import static

pytestmark = both_databases


def people_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ResponsiblePerson))


def meeting_with_namesakes(api):
    """A draft with two items whose responsible persons share a name (different departments)."""
    meeting = api.post("meetings", {"title": "第27次民主评价会"}).get_json()
    first = api.post(
        f"meetings/{meeting['id']}/items",
        {"title": "焦炭", "responsible_person": {"name": "张伟", "department": "炼钢厂", "position": "科长"}},
    ).get_json()
    second = api.post(
        f"meetings/{meeting['id']}/items",
        {"title": "耐火砖", "responsible_person": {"name": "张伟", "department": "炼铁厂"}},
    ).get_json()
    return meeting, first["responsible_person"]["id"], second["responsible_person"]["id"]


def test_an_item_names_an_existing_person_by_id(app, api):
    meeting, steel, iron = meeting_with_namesakes(api)
    assert steel != iron
    before = people_count(app)
    made = api.post(
        f"meetings/{meeting['id']}/items", {"title": "铁矿石", "responsible_person": {"id": iron}}
    )
    assert made.status_code == 201, made.get_json()
    person = made.get_json()["responsible_person"]
    assert (person["id"], person["name"], person["department"]) == (iron, "张伟", "炼铁厂")
    # With its own name and department too (the same ones), and a position that updates the entry.
    same = api.post(
        f"meetings/{meeting['id']}/items",
        {"title": "废钢", "responsible_person": {"id": steel, "name": "张伟", "position": "副处长"}},
    )
    assert same.status_code == 201, same.get_json()
    assert same.get_json()["responsible_person"] == {
        "id": steel,
        "name": "张伟",
        "department": "炼钢厂",
        "position": "副处长",
    }
    assert people_count(app) == before  # nobody new, namesakes not merged


def test_an_item_is_moved_to_another_person_by_id(app, api):
    meeting, steel, iron = meeting_with_namesakes(api)
    items = api.get(f"meetings/{meeting['id']}").get_json()["items"]
    moved = api.patch(f"items/{items[0]['id']}", {"responsible_person": {"id": iron}})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["responsible_person"]["id"] == iron
    with app.app_context():
        assert db.session.get(Item, items[0]["id"]).responsible_person_id == iron


def test_an_unknown_or_contradicted_id_is_refused_with_a_code(app, api):
    meeting, steel, _iron = meeting_with_namesakes(api)
    before = people_count(app)
    url = f"meetings/{meeting['id']}/items"
    unknown = api.post(url, {"title": "x", "responsible_person": {"id": 999999}})
    assert unknown.status_code == 422
    error = unknown.get_json()["error"]
    assert error["code"] == "person_not_found"
    assert error["details"] == {"field": "responsible_person.id", "reason": "registry", "person_id": 999999}
    assert "999999" in error["message"] and "未找到" in error["message"]

    other = api.post(url, {"title": "x", "responsible_person": {"id": steel, "name": "张玮"}})
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "person_mismatch"
    assert "炼钢厂" in other.get_json()["error"]["message"]
    elsewhere = api.post(url, {"title": "x", "responsible_person": {"id": steel, "department": "炼铁厂"}})
    assert elsewhere.get_json()["error"]["code"] == "person_mismatch"

    items = api.get(f"meetings/{meeting['id']}").get_json()["items"]
    patch = api.patch(f"items/{items[0]['id']}", {"responsible_person": {"id": 999999}})
    assert patch.status_code == 422 and patch.get_json()["error"]["code"] == "person_not_found"

    for bad in ("abc", 0, True):
        refused = api.post(url, {"title": "x", "responsible_person": {"id": bad}}).get_json()["error"]
        assert (refused["code"], refused["details"]["field"]) == ("validation_error", "responsible_person.id")
    nameless = api.post(url, {"title": "x", "responsible_person": {"department": "炼钢厂"}}).get_json()
    assert nameless["error"]["details"] == {"field": "responsible_person.name", "reason": "required"}
    assert people_count(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item)) == 2


def test_the_openapi_document_says_a_person_may_be_named_by_id(anon_api):
    schemas = anon_api.get("openapi.json").get_json()["components"]["schemas"]
    person = next(s for name, s in schemas.items() if name.endswith("PersonIn"))
    assert {"id", "name", "department", "position"} <= set(person["properties"])
    assert "name" not in person.get("required", [])
    assert {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} in person["properties"]["id"]["anyOf"]


# --- the item form ------------------------------------------------------------------------------


def options(page):
    select_html = re.search(r'<select id="item-person_id" name="person_id".*?</select>', page, re.S).group(0)
    return [
        (value, unescape(re.sub(r"<[^>]+>", "", text)).strip())
        for value, text in re.findall(r'<option value="(\d*)"[^>]*>(.*?)</option>', select_html, re.S)
    ]


def test_the_item_form_picks_a_person_from_the_registry(app, api, login):
    meeting, steel, iron = meeting_with_namesakes(api)
    browser = login("moderator")
    page = browser.get(f"/meetings/{meeting['id']}").get_data(as_text=True)
    listed = options(page)
    assert listed[0][0] == ""  # first: a new person
    assert (str(steel), "张伟 · 炼钢厂 · 科长") in listed and (str(iron), "张伟 · 炼铁厂") in listed
    assert "data-person-picker" in page and static("js/moderator.js") in page

    before = people_count(app)
    form = {
        "csrf_token": csrf_token(browser),
        "title": "烧结矿",
        "person_id": str(iron),
        "person_name": "",
        "person_department": "",
        "person_position": "",
    }
    response = browser.post(f"/meetings/{meeting['id']}/items", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.title == "烧结矿")).one()
        assert item.responsible_person_id == iron
    assert people_count(app) == before

    # On the edit form nothing is chosen: the fields hold the item's person (matched as before).
    edit = browser.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert '<option value="" selected>' in edit and not re.search(r'<option value="\d+"[^>]*selected', edit)
    # A choice wins over whatever the fields still hold (a page whose script did not run).
    stale = {**form, "csrf_token": csrf_token(browser), "person_id": str(steel), "person_name": "张伟"}
    assert (
        browser.post(f"/items/{item.id}/edit", data={**stale, "person_department": "炼铁厂"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Item, item.id).responsible_person_id == steel
    # A chosen id the registry lacks is refused beside the picker.
    refused = browser.post(
        f"/items/{item.id}/edit", data={**form, "csrf_token": csrf_token(browser), "person_id": "999999"}
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert re.search(r'<span class="field-error" id="item-person_id-error">[^<]*999999', text)
    # Without a choice, the typed name + department match (or make) the person, as before.
    typed = {**form, "csrf_token": csrf_token(browser), "person_id": "", "person_name": "张伟"}
    assert (
        browser.post(f"/items/{item.id}/edit", data={**typed, "person_department": "炼铁厂"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Item, item.id).responsible_person_id == iron
    assert people_count(app) == before
