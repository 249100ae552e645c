"""Server entry point: gevent monkey-patching first, then the app. Nothing else."""

from gevent import monkey

monkey.patch_all()

from evalmeet import create_app  # noqa: E402

app = create_app()
