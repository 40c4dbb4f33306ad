"""``honoured_priorities``: a pool declares ``priority`` only when its settings tell -10, 0 and
10 apart."""

from chariots_core.workers import PRIORITY_PROBES, Capability, honoured_priorities

DECLARED = frozenset({Capability.priority, Capability.retries})


def test_three_levels_keep_priority() -> None:
    assert honoured_priorities(DECLARED, lambda priority: priority) == DECLARED
    assert honoured_priorities(DECLARED, lambda priority: max(-1, min(1, priority))) == DECLARED


def test_fewer_levels_drop_priority_and_only_it() -> None:
    two_levels = honoured_priorities(DECLARED, lambda priority: priority > 0)
    one_level = honoured_priorities(DECLARED, lambda priority: None)

    assert two_levels == one_level == {Capability.retries}


def test_a_pool_that_does_not_declare_priority_gains_nothing() -> None:
    declared = frozenset({Capability.delay})
    assert honoured_priorities(declared, lambda priority: priority) == declared


def test_the_probes_span_negative_zero_and_positive_priorities() -> None:
    assert sorted(PRIORITY_PROBES) == [-10, 0, 10]
