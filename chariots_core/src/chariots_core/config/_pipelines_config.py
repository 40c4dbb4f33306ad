"""`PipelinesConfig`: which pipelines a server serves, how it runs them, where it listens."""

from __future__ import annotations

from collections.abc import Sequence

from chariots_core.config._urls import server_url
from chariots_core.pipelines import Pipeline, PipelinesClient
from chariots_core.pipelines.callbacks import PipelineCallback
from chariots_core.pipelines.runners import BaseRunner, SequentialRunner

#: the runner names a configuration file may give (the original chariots' spellings)
SEQUENTIAL_RUNNER_NAMES = frozenset({"SequentialRunner", "sequential_runner", "sequential-runner"})


class PipelinesConfig:
    """The pipelines part of a :class:`~chariots_core.config.ChariotsConfig`.

    ``runner`` is a :class:`~chariots_core.pipelines.runners.BaseRunner` or a runner's name
    (``"sequential-runner"``; ``None``: the sequential runner). ``pipelines`` and
    ``pipeline_callbacks`` cannot be written in a file: add them in Python.
    """

    def __init__(
        self,
        runner: str | BaseRunner | None = None,
        server_host: str | None = None,
        server_port: str | int | None = None,
        pipelines: Sequence[Pipeline] | None = None,
        pipeline_callbacks: Sequence[PipelineCallback] | None = None,
        import_name: str | None = None,
    ) -> None:
        _check_runner(runner)
        self.runner = runner
        self.server_host = server_host
        self.server_port = server_port
        self.pipelines: list[Pipeline] = list(pipelines or [])
        self.pipeline_callbacks: list[PipelineCallback] = list(pipeline_callbacks or [])
        self.import_name = import_name

    def get_runner(self) -> BaseRunner:
        """The runner this configuration names."""
        if isinstance(self.runner, BaseRunner):
            return self.runner
        return SequentialRunner()

    def get_client(self) -> PipelinesClient:
        """A client of the pipelines server at ``server_host:server_port``."""
        return PipelinesClient(
            backend_url=server_url("pipelines", self.server_host, self.server_port)
        )


def _check_runner(runner: object) -> None:
    if runner is None or isinstance(runner, BaseRunner):
        return
    if not isinstance(runner, str):
        raise TypeError(f"cannot interpret {type(runner).__name__} as a runner")
    if runner not in SEQUENTIAL_RUNNER_NAMES:
        names = ", ".join(sorted(SEQUENTIAL_RUNNER_NAMES))
        raise ValueError(f"runner {runner!r} not understood (runners: {names})")
