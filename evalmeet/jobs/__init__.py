"""Heavy work outside the server's event loop: minutes, exports and roster/item imports in worker
processes, driven by Huey.

Why Huey: one small, well-kept library with both storages we need — SQLite, the embedded default
(``<instance>/jobs/queue.sqlite3``: ``make run`` stays one command, nothing else to install), and
Redis in the cluster (the Redis the message queue already uses) — a process consumer, results,
and a key-value store for progress. RQ needs Redis everywhere; Celery brings a broker and far more
than we use.

- :mod:`evalmeet.jobs.queue` builds the queue from the config and registers the one task,
  ``produce``: run a named producer (``web/exports.py``'s ``PRODUCERS``) in a request context of
  the worker's own app, and leave the file in ``<instance>/jobs/files``.
- :mod:`evalmeet.jobs.wait` is the server's side: enqueue, then wait cooperatively (gevent sleeps,
  never a blocking wait) and answer with the file; or, for a browser, a progress page
  (``page_job``: for a page whose job makes no download, an import's check or save).
- :mod:`evalmeet.jobs.supervisor` starts and restarts the workers from ``evalmeet serve``.
- ``evalmeet worker`` runs one worker (systemd runs them apart in the cluster).
"""
