"""How long an import's save holds the database's write transaction: the bulk save of
``services/files/import_save.py`` against adding the rows one use case at a time (as the
confirmation did before), on a fresh SQLite file (or ``--database-url``).

    .venv/bin/python bench/import_write.py [--rows 5000] [--kind roster|items] [--database-url URL]

For ``--kind items`` the agenda's 500-item limit (``items.MAX_ITEMS``) is lifted for the run, and
so is the file's row limit: the figures are about the write, not about what a meeting may hold.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def csv_of(kind: str, rows: int, tag: str) -> bytes:
    if kind == "roster":
        return ("姓名,工号,部门\n" + "".join(f"代表{n},{tag}{n:05d},炼钢厂\n" for n in range(rows))).encode()
    lines = "".join(f"{tag}项目{n},采购员{n % 50},供应处,单一来源,{100000 + n}\n" for n in range(rows))
    return ("项目名称,责任人,责任人部门,采购方式,金额\n" + lines).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--kind", choices=("roster", "items"), default="roster")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from evalmeet import create_app
    from evalmeet.db import reading_only
    from evalmeet.extensions import db
    from evalmeet.models import Base
    from evalmeet.schemas.base import parse
    from evalmeet.schemas.items import ItemCreate
    from evalmeet.schemas.meetings import MeetingCreate
    from evalmeet.schemas.roster import RepresentativeCreate
    from evalmeet.services.files import import_save, imports, spreadsheets, staging
    from evalmeet.services.meetings import items as agenda
    from evalmeet.services.meetings import meeting as meetings
    from evalmeet.services.meetings import roster

    spreadsheets.MAX_ROWS = imports.MAX_ROWS = max(args.rows, spreadsheets.MAX_ROWS)
    agenda.MAX_ITEMS = max(agenda.MAX_ITEMS, 2 * args.rows)
    tmp = Path(tempfile.mkdtemp(prefix="evalmeet-import-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp), "SECRET_KEY": "bench"})
    with app.app_context():
        session = db.session
        Base.metadata.create_all(db.engine)
        figures = {}
        for way in ("bulk", "one by one"):
            meeting = meetings.create_meeting(session, parse(MeetingCreate, {"title": way}), "bench").value
            session.commit()
            tag = "B" if way == "bulk" else "O"
            started = time.perf_counter()
            preview = imports.stage(
                session,
                tmp / "imports",
                meeting.id,
                args.kind,
                "f.csv",
                csv_of(args.kind, args.rows, tag),
                "b",
            )
            session.rollback()
            assert preview.ok, preview.issues[:3]
            checked = time.perf_counter() - started
            pending = staging.claim_pending(tmp / "imports", preview.token, meeting.id, args.kind, "b")
            if way == "bulk":
                started = time.perf_counter()
                with reading_only():
                    plan = import_save.plan(session, pending)
                    session.rollback()
                planned = time.perf_counter() - started
                started = time.perf_counter()
                import_save.apply(session, plan, "bench")
                session.commit()
                figures[way] = (checked, planned, time.perf_counter() - started)
            else:
                started = time.perf_counter()
                for _number, data in pending.rows:
                    if args.kind == "roster":
                        roster.add_representative(session, meeting.id, parse(RepresentativeCreate, data), "b")
                    else:
                        agenda.add_item(session, meeting.id, parse(ItemCreate, data), "b")
                session.commit()
                figures[way] = (checked, 0.0, time.perf_counter() - started)
        db.session.remove()
        db.engine.dispose()
    print(f"{args.rows} {args.kind} rows on {url.split(':', 1)[0]}")
    print(f"{'':14}{'check (upload)':>16}{'plan (read)':>14}{'write transaction':>20}")
    for way, (checked, planned, wrote) in figures.items():
        plan_text = f"{planned:.3f} s" if way == "bulk" else "—"
        print(f"{way:14}{checked:>14.3f} s{plan_text:>14}{wrote:>18.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
