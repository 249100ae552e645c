"""A worker process: ``evalmeet worker`` (started by ``evalmeet serve``, or by systemd apart).

It builds its own app from the same ``EVALMEET_*`` environment as the server, takes jobs from the
queue one at a time, and runs each producer in a request context of that app in the language the
request asked for, so the file is exactly what the request would have made. The result is a
file in ``<instance>/jobs/files`` and its name; a refusal (a draft meeting's minutes, say) comes
back as the refusal, for the server to answer with.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

from huey import Huey

from evalmeet import failpoints
from evalmeet.db import reading_only
from evalmeet.domain.errors import DomainError
from evalmeet.jobs import progress
from evalmeet.jobs.queue import FILES, drop_file, folder, put_file, queue_for, report

log = logging.getLogger("evalmeet.jobs")


@functools.lru_cache(maxsize=1)
def _app() -> Any:
    from evalmeet import create_app

    return create_app()


def produce(queue: Huey, job_id: str, name: str, kwargs: dict[str, Any], lang: str) -> dict[str, Any]:
    """Run producer ``name`` and keep its file; answers ``{file, name, mimetype}`` or ``{refused}``."""
    from evalmeet.extensions import db
    from evalmeet.web.exports import PRODUCERS

    app = _app()
    progress.attach(lambda done, total: report(queue, job_id, done, total), job_id)
    cluster = type(queue).__name__ == "RedisHuey"
    target = folder(app.config) / FILES / job_id
    tmp = target.with_suffix(".part")
    try:
        with app.test_request_context("/", query_string={"lang": lang}):
            try:
                failpoints.pause("job_running")
                with reading_only():
                    made = PRODUCERS[name](**kwargs)
                    # A streamed file (Produced.parts) reads the database as it is written:
                    # its chunks are taken here, inside the request and its read transaction.
                    if cluster:
                        # the cluster: the server waiting may be on another machine, so the
                        # file travels through Redis, piece by piece (jobs/queue.put_file)
                        mimetype = made.mimetype
                        size = put_file(queue, job_id, made.chunks())
                        return {"redis_file": True, "size": size, "name": made.name, "mimetype": mimetype}
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    with os.fdopen(fd, "wb") as out:
                        for chunk in made.chunks():
                            out.write(chunk)
            except DomainError as err:
                tmp.unlink(missing_ok=True)
                if cluster:
                    drop_file(queue, job_id)
                return {
                    "refused": {
                        "status": err.status,
                        "code": err.code,
                        "message": err.message,
                        "details": err.details,
                    }
                }
            except BaseException:
                tmp.unlink(missing_ok=True)
                if cluster:
                    drop_file(queue, job_id)
                raise
            finally:
                db.session.remove()
    finally:
        progress.attach(None)
    os.replace(tmp, target)
    return {"file": job_id, "name": made.name, "mimetype": made.mimetype}


def run() -> int:
    """The worker's loop (until SIGTERM/SIGINT): one job at a time."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from evalmeet.jobs.supervisor import watch_parent

    watch_parent()
    try:
        os.nice(10)  # the live meeting first (systemd's units set Nice= themselves)
    except OSError:
        pass
    # The app (Flask, the models, the templates: seconds of CPU) is built at the first job, not
    # here: a server that never makes a file never pays for its worker beyond this.
    from evalmeet.config import load_config

    config = load_config()
    queue = queue_for(config, worker=True)
    where = _where(queue, Path(config["INSTANCE_PATH"]))
    log.info("evalmeet worker %d taking jobs from %s", os.getpid(), where)
    consumer = queue.create_consumer(
        workers=1, worker_type="thread", initial_delay=0.05, max_delay=0.5, check_worker_health=True
    )
    consumer.run()
    return 0


def _where(queue: Huey, instance: Path) -> str:
    return "Redis" if type(queue).__name__ == "RedisHuey" else str(instance / "jobs" / "queue.sqlite3")
