"""The wheel carries everything an installed ``evalmeet`` needs: templates, static files, migrations."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the working tree, the way pip builds it for an install."""
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = out.glob("evalmeet-*.whl")
    return built


def test_wheel_contains_templates_static_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    assert "evalmeet/templates/base.html" in names
    assert "evalmeet/static/css/app.css" in names
    assert {"evalmeet/migrations/env.py", "evalmeet/migrations/script.py.mako"} <= names
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("evalmeet/migrations/versions/")}
    in_tree = {p.name for p in (ROOT / "evalmeet/migrations/versions").glob("*.py")}
    assert in_tree and shipped == in_tree
    assert any(n.startswith("evalmeet/translations/zh_Hans_CN/LC_MESSAGES/") for n in names)
    assert not any(n.startswith(("tests/", "evalmeet/tests/")) for n in names)


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "evalmeet = evalmeet.cli:main" in text


def test_unpacked_wheel_runs_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = textwrap.dedent(
        f"""
        import evalmeet
        from pathlib import Path
        site = Path({str(site)!r})
        assert Path(evalmeet.__file__).is_relative_to(site), evalmeet.__file__
        from evalmeet import create_app, migrations
        url = "sqlite:///" + str(Path.cwd() / "installed.db")
        migrations.upgrade(url)
        assert migrations.current_revision(url) == migrations.head_revision()
        app = create_app({{"DATABASE_URL": url, "INSTANCE_PATH": str(Path.cwd() / "instance")}})
        assert Path(app.template_folder).is_relative_to(site), app.template_folder
        assert Path(app.static_folder).is_relative_to(site), app.static_folder
        client = app.test_client()
        assert client.get("/login").status_code == 200
        assert client.get("/static/css/app.css").status_code == 200
        print("ok")
        """
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
