"""The kit's pool-URL parser: typed options, errors naming the option, passwords hidden."""

from __future__ import annotations

import pytest

from chariots_core.workers.kit import (
    Choice,
    Count,
    Flag,
    Levels,
    PoolURLError,
    Seconds,
    Text,
    hide_password,
    parse_pool_url,
    with_query,
)

OPTIONS = {
    "queue": Text("jobs"),
    "timeout": Seconds(),
    "grace": Seconds(0.0, zero=True),
    "prefetch": Count(1, maximum=10),
    "fork": Flag(True),
    "mode": Choice(("thread", "process"), "thread"),
    "priorities": Levels((0,), maximum=5),
}


def parse(url: str, **kwargs: object) -> object:
    return parse_pool_url(url, "demo", OPTIONS, **kwargs)  # type: ignore[arg-type]


def test_a_url_is_taken_apart_with_typed_options_and_defaults() -> None:
    url = "demo+amqp://guest:s%40cret@broker.local:5672/vhost?timeout=1.5&fork=no&priorities=0..2"

    parsed = parse_pool_url(url, "demo", OPTIONS, transports=("amqp", "redis"))

    assert (parsed.backend, parsed.transport) == ("demo", "amqp")
    assert (parsed.username, parsed.password) == ("guest", "s@cret")
    assert (parsed.host, parsed.port, parsed.path) == ("broker.local", 5672, "/vhost")
    assert parsed.options == {
        "queue": "jobs",
        "timeout": 1.5,
        "grace": 0.0,
        "prefetch": 1,
        "fork": False,
        "mode": "thread",
        "priorities": (2, 1, 0),
    }
    assert (parsed.given("timeout"), parsed.given("queue")) == (True, False)
    assert parsed.transport_url() == "amqp://guest:s%40cret@broker.local:5672/vhost"
    assert parsed.describe() == (
        "demo+amqp://guest:***@broker.local:5672/vhost?timeout=1.5&fork=no&priorities=0..2"
    )
    assert "s%40cret" not in repr(parsed)


def test_the_backend_alone_takes_the_default_transport_and_passes_other_options_on() -> None:
    parsed = parse_pool_url(
        "demo://h/0?socket_timeout=3&queue=q",
        "demo",
        OPTIONS,
        default_transport="redis",
        passthrough={"socket_timeout"},
    )

    assert parsed.transport == "redis"
    assert parsed.options["queue"] == "q"
    assert parsed.passthrough == (("socket_timeout", "3"),)
    assert parsed.transport_url() == "redis://h/0?socket_timeout=3"
    assert parsed.transport_url("rediss", query=False) == "rediss://h/0"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("other://h", r"'other://h' is not a URL of the demo pool \(demo://…\)"),
        ("demo+http://h", r"unknown transport 'http' for the demo pool \(it takes demo\+amqp"),
        ("demo://h?colour=blue", "unknown option 'colour' in .*: the demo pool takes fork, grace,"),
        (
            "demo://h?timeout=soon",
            "option 'timeout' of .* must be a number of seconds > 0, not 'soon'",
        ),
        ("demo://h?timeout=0", "must be a number of seconds > 0, not '0'"),
        ("demo://h?timeout=inf", "must be a number of seconds > 0, not 'inf'"),
        ("demo://h?grace=-1", "'grace' .* must be a number of seconds >= 0, not '-1'"),
        ("demo://h?prefetch=11", "'prefetch' .* must be a whole number from 1 to 10, not '11'"),
        ("demo://h?prefetch=1.5", "must be a whole number from 1 to 10, not '1.5'"),
        ("demo://h?fork=maybe", "'fork' .* must be true or false, not 'maybe'"),
        ("demo://h?mode=fiber", "'mode' .* must be one of thread, process, not 'fiber'"),
        ("demo://h?priorities=0..9", "10 priority levels: give from 1 to 5"),
        ("demo://h?priorities=high", "'priorities' .* must be integers: a range such as -2..2"),
        ("demo://h?queue=a&queue=b", "option 'queue' is given twice"),
        ("demo://h:0", "the port of 'demo://h:0' must not be 0"),
        ("demo://h:port", "the port of .* is not a number"),
        ("demo://h#frag", "has a fragment"),
        ("demo+unix://", r"names no socket \(demo\+unix:///path\)"),
        ("demo+redis://h/zero", "the path of .* must be a database number .* not '/zero'"),
        ("demo+amqp://user:hunter2@h?colour=blue", r"demo\+amqp://user:\*\*\*@h\?colour=blue"),
    ],
)
def test_bad_urls_are_refused_naming_the_option_and_what_it_accepts(url: str, message: str) -> None:
    with pytest.raises(PoolURLError, match=message) as raised:
        parse_pool_url(
            url,
            "demo",
            OPTIONS,
            transports=("amqp", "redis", "unix"),
            default_transport="redis",
            numbered_databases=("redis",),
        )

    assert "hunter2" not in str(raised.value)


def test_options_given_in_python_follow_the_same_rules() -> None:
    assert OPTIONS["timeout"].check("timeout", 2) == 2.0
    assert OPTIONS["fork"].check("fork", False) is False
    assert OPTIONS["priorities"].check("priorities", [1, 3, 1]) == (3, 1)
    assert OPTIONS["timeout"].check("timeout", None) is None
    with pytest.raises(PoolURLError, match="'timeout' must be a number of seconds > 0, not True"):
        OPTIONS["timeout"].check("timeout", True)
    with pytest.raises(PoolURLError, match="'prefetch' must be a whole number from 1 to 10"):
        OPTIONS["prefetch"].check("prefetch", 2.5)


def test_passwords_are_hidden_and_queries_added() -> None:
    assert hide_password("rq://:pw@h:1/0?a=b") == "rq://:***@h:1/0?a=b"
    assert hide_password("rq://user@h/0") == "rq://user@h/0"
    assert with_query("rq://h/0", queue="a b") == "rq://h/0?queue=a%20b"
    assert with_query("rq://h/0?x=1", fork=True) == "rq://h/0?x=1&fork=True"
