"""Every actor has an explicit name and a queue that the production worker consumes."""

from pathlib import Path

from app.broker import ALL_QUEUES, broker


def test_every_actor_queue_is_consumed_by_the_procfile_worker(app):
    procfile = (Path(__file__).resolve().parent.parent / "Procfile").read_text()
    worker_line = next(line for line in procfile.splitlines() if line.startswith("worker:"))
    consumed = worker_line.split("--queues", 1)[1].split()
    actors = [broker.get_actor(name) for name in broker.get_declared_actors()]

    assert actors, "no actor is declared"
    for actor in actors:
        assert actor.queue_name in ALL_QUEUES, actor.actor_name
        assert actor.queue_name in consumed, f"{actor.actor_name} on {actor.queue_name}"
        assert "." in actor.actor_name  # explicit feature.action names
