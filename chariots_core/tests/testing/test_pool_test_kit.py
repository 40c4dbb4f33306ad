"""The kit of pools' own tests (``chariots_core.testing``): polling, a queue of each test's own,
command environments, any TCP service found, skipped or failed, and the import of a package
before pytest makes one up from the folder of its tests."""

from __future__ import annotations

import socket
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from chariots_core.testing.polling import eventually
from chariots_core.testing.processes import command_environment
from chariots_core.testing.queues import TestQueue
from chariots_core.testing.services import (
    REQUIRE_SERVICES_ENV,
    ServiceUnavailable,
    find_tcp_service,
    require_service,
)

pytest_plugins = ["pytester"]


def test_eventually_returns_what_held_and_says_what_did_not() -> None:
    calls = iter([0, None, "", "ready"])

    assert eventually(lambda: next(calls), timeout=5) == "ready"
    with pytest.raises(AssertionError, match=r"^the queue emptied did not hold within 0.05s$"):
        eventually(lambda: False, timeout=0.05, what="the queue emptied")


def test_a_test_queue_names_itself_in_urls_and_cleans_up_last_first() -> None:
    queue = TestQueue()
    other = TestQueue()
    assert queue.name.startswith("chariots-test-")
    assert queue.name != other.name

    url = queue.url("rq://127.0.0.1:6379/0?socket_timeout=2&queue=theirs", fork="false")
    assert url == f"rq://127.0.0.1:6379/0?queue={queue.name}&fork=false&socket_timeout=2"
    assert queue.url("celery+amqp://guest@host:5672//") == (
        f"celery+amqp://guest@host:5672//?queue={queue.name}"
    )

    ran: list[str] = []

    def fails() -> None:
        ran.append("fails")
        raise RuntimeError("the broker went away")

    queue.on_cleanup(lambda: ran.append("first"))
    queue.on_cleanup(fails)
    queue.on_cleanup(lambda: ran.append("last"))
    with pytest.raises(RuntimeError, match="the broker went away"):
        queue.cleanup()
    assert ran == ["last", "fails", "first"]  # every one ran, the last registered first
    queue.cleanup()  # nothing left to run
    assert ran == ["last", "fails", "first"]


def test_a_command_environment_has_the_tests_settings_not_chariots_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHARIOTS_WORKER_POOL", "rq://elsewhere")
    monkeypatch.setenv("CHARIOTS_TEST_REDIS_URL", "redis://shared:6379/0")
    monkeypatch.setenv("PYTHONPATH", "/already")

    env = command_environment(
        {"CHARIOTS_POOL_APP_NAME": "app"}, pythonpath=["/tests"], keep=["CHARIOTS_TEST_REDIS_URL"]
    )

    assert "CHARIOTS_WORKER_POOL" not in env
    assert env["CHARIOTS_TEST_REDIS_URL"] == "redis://shared:6379/0"
    assert env["CHARIOTS_POOL_APP_NAME"] == "app"
    assert env["PYTHONPATH"].split(":") == ["/tests", "/already"]
    assert env["PYTHONUNBUFFERED"] == "1"


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something listens on (and answers nothing)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_tcp_service_is_found_or_said_missing(
    listening: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_tcp_service("Thing", "127.0.0.1", listening) == f"127.0.0.1:{listening}"
    port = closed_port()
    with pytest.raises(ServiceUnavailable, match=rf"^Thing does not answer at 127.0.0.1:{port} "):
        find_tcp_service("Thing", "127.0.0.1", port, hint="set THING_URL")
    with pytest.raises(ServiceUnavailable):  # it accepts, but answers no greeting
        find_tcp_service("Greeter", "127.0.0.1", listening, expect=b"HELLO")

    monkeypatch.delenv(REQUIRE_SERVICES_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="Thing does not answer"):
        require_service("Thing", "127.0.0.1", port)
    monkeypatch.setenv(REQUIRE_SERVICES_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=f"and {REQUIRE_SERVICES_ENV} says it must"):
        require_service("Thing", "127.0.0.1", port)


def test_tests_in_a_folder_named_like_their_package_import_the_installed_package(
    pytester: pytest.Pytester,
) -> None:
    """``<root>/shipyard/src/shipyard`` (the package, on the path) and ``<root>/shipyard/tests``
    under ``--import-mode=importlib``: the conftest imports the package as installed."""
    package = pytester.path / "shipyard" / "src" / "shipyard"
    package.mkdir(parents=True)
    (pytester.path / "shipyard" / "pyproject.toml").write_text("[project]\nname = 'shipyard'\n")
    (package / "__init__.py").write_text("VESSEL = 'the real package'\n")
    tests = pytester.path / "shipyard" / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text("from shipyard import VESSEL\n")
    (tests / "test_it.py").write_text(
        textwrap.dedent(
            """
            import shipyard

            def test_the_package_is_the_installed_one():
                assert shipyard.VESSEL == "the real package"
                assert shipyard.__file__.endswith("src/shipyard/__init__.py")
            """
        )
    )
    pytester.makeini(
        "[pytest]\naddopts = --import-mode=importlib -p no:cacheprovider\n"
        "pythonpath = shipyard/src\n"
    )

    for args in (["shipyard/tests"], []):
        result = pytester.runpytest_subprocess(*args)
        result.assert_outcomes(passed=1)
    without = pytester.runpytest_subprocess("shipyard/tests", "-p", "no:chariots")
    assert without.ret != 0  # what the plugin spares its users
    assert "cannot import name 'VESSEL'" in without.stdout.str() + without.stderr.str()


def test_only_folders_of_a_distribution_named_like_an_installed_package_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chariots_core.testing._package_imports import import_installed_packages_over

    for name in ("no_such_package_here", "xmlrpc"):  # xmlrpc: a regular package elsewhere
        (tmp_path / name / "tests").mkdir(parents=True)
    monkeypatch.delitem(sys.modules, "xmlrpc", raising=False)
    before = set(sys.modules)
    import_installed_packages_over(
        [tmp_path / name / "tests" for name in ("no_such_package_here", "xmlrpc")] + ["-q"],
        tmp_path,
    )
    assert set(sys.modules) == before  # no distribution's folder: left to pytest

    (tmp_path / "xmlrpc" / "setup.py").write_text("")
    import_installed_packages_over([tmp_path / "xmlrpc" / "tests"], tmp_path)
    assert "xmlrpc" in sys.modules
    assert not str(sys.modules["xmlrpc"].__file__).startswith(str(tmp_path))
