"""A cluster's job files through Redis: in pieces, never whole in the worker or the server.

With several servers (docs/deployment.md) the server that waits for a download may not be on
the machine whose worker made it, so the file goes through Redis. It is kept as a list of
pieces of about ``PIECE_BYTES``; the worker pushes a piece as soon as it has one, and the server
sends them one after another (``Content-Length`` from the outcome), then drops them. Against the
real Redis of the suite; the cluster's downloads through nginx are tests/e2e/test_scaleout.py.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest
import redis

from evalmeet.jobs import queue as job_queue
from evalmeet.jobs import wait
from tests.conftest import REDIS_URL, require_service


@pytest.fixture
def cluster_queue(app) -> Iterator[tuple]:
    """``app`` configured with a Redis job queue of its own (a channel nobody else uses)."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        require_service("Redis", str(exc))
    app.config["JOBS_REDIS_URL"] = REDIS_URL
    app.config["MESSAGE_QUEUE_CHANNEL"] = f"job-files-{uuid.uuid4().hex[:12]}"
    queue = job_queue.queue_for(app.config)
    try:
        yield queue, client
    finally:
        for key in client.scan_iter(f"{queue.storage.name}*"):
            client.delete(key)
        client.close()


def made_in_chunks(count: int, size: int) -> list[bytes]:
    """What a streamed export yields: many chunks, each different."""
    return [bytes([n % 251]) * size for n in range(count)]


def test_a_file_is_kept_in_pieces_and_read_back_whole(cluster_queue):
    queue, client = cluster_queue
    chunks = made_in_chunks(10, 300 * 1024)  # 3 MB in 300 KB chunks
    job_id = str(uuid.uuid4())
    pushed: list[int] = []

    def watched() -> Iterator[bytes]:  # how many pieces Redis holds as each chunk is made
        for chunk in chunks:
            pushed.append(job_queue.file_pieces(queue, job_id))
            yield chunk

    size = job_queue.put_file(queue, job_id, watched())
    assert size == sum(map(len, chunks))
    key = f"{queue.storage.name}:file:{job_id}"
    pieces = client.lrange(key, 0, -1)
    # four chunks make the first piece of >= 1 MiB, four the next, the last two the rest
    assert [len(p) for p in pieces] == [4 * 300 * 1024, 4 * 300 * 1024, 2 * 300 * 1024]
    assert pushed == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]  # pushed as it went, not at the end
    assert 0 < client.ttl(key) <= job_queue.KEEP_SECONDS
    assert b"".join(job_queue.read_file(queue, job_id)) == b"".join(chunks)
    job_queue.drop_file(queue, job_id)
    assert job_queue.file_pieces(queue, job_id) == 0


def test_an_empty_file_is_there_and_empty(cluster_queue):
    queue, _client = cluster_queue
    job_id = str(uuid.uuid4())
    assert job_queue.put_file(queue, job_id, iter(())) == 0
    assert job_queue.file_pieces(queue, job_id) == 1
    assert list(job_queue.read_file(queue, job_id)) == [b""]


def test_the_server_sends_the_pieces_then_drops_them(app, cluster_queue):
    queue, _client = cluster_queue
    chunks = made_in_chunks(7, 400 * 1024)
    job_id = str(uuid.uuid4())
    size = job_queue.put_file(queue, job_id, chunks)
    outcome = {"redis_file": True, "size": size, "name": "行动清单.csv", "mimetype": "text/csv"}
    with app.test_request_context("/"):
        response = wait.file_response(job_id, outcome, keep=False)
        assert response.status_code == 200 and response.content_length == size
        assert response.headers["Cache-Control"] == "private, no-store"
        assert (
            "filename*=UTF-8''%E8%A1%8C%E5%8A%A8%E6%B8%85%E5%8D%95.csv"
            in response.headers["Content-Disposition"]
        )
        response.direct_passthrough = False
        body = list(itertools.islice(response.iter_encoded(), 10_000))
        assert max(map(len, body)) <= 64 * 1024  # sent in small blocks, not as one bytes object
        assert b"".join(body) == b"".join(chunks)
        assert job_queue.file_pieces(queue, job_id) == 3  # still there until the response is closed
        response.close()
    assert job_queue.file_pieces(queue, job_id) == 0


def test_a_kept_file_stays_for_its_progress_page_and_a_gone_one_is_a_503(app, cluster_queue):
    queue, _client = cluster_queue
    job_id = str(uuid.uuid4())
    size = job_queue.put_file(queue, job_id, [b"a,b\r\n", b"1,2\r\n"])
    outcome = {"redis_file": True, "size": size, "name": "x.csv", "mimetype": "text/csv"}
    with app.test_request_context("/"):
        kept = wait.file_response(job_id, outcome, keep=True)
        kept.direct_passthrough = False
        assert kept.get_data() == b"a,b\r\n1,2\r\n"
        kept.close()
        assert job_queue.file_pieces(queue, job_id) == 1
        assert wait.job_bytes(job_id, outcome, keep=False) == b"a,b\r\n1,2\r\n"  # an import's answer
        assert job_queue.file_pieces(queue, job_id) == 0
        for answer in (wait.file_response, wait.job_bytes):
            with pytest.raises(wait.JobError) as gone:
                answer(job_id, outcome, keep=True)
            assert gone.value.code == "job_failed" and gone.value.status == 503
