"""Capability gating and known gaps: which of the suite's tests run on a pool, and how.

- ``@requires(Capability.x)`` marks a test of a capability: it runs when the pool instance
  declares that capability (``pool.capabilities``) and is skipped, with a reason, when it does not.
  A pool that declares a capability it does not honour fails that test (over-claiming), and the
  failure report names the capability.
- ``known_gaps = {"test_name": "reason"}`` on a test class turns those tests into strict xfails:
  they must fail (a gap that closes makes the run fail, so the declaration is removed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from chariots_core.testing.pytest_plugin import REQUIRES_MARKER
from chariots_core.workers import BaseWorkerPool, Capability


def requires(*capabilities: Capability) -> pytest.MarkDecorator:
    """Run the decorated test only on pools that declare every one of ``capabilities``."""
    for capability in capabilities:
        if not isinstance(capability, Capability):
            raise TypeError(f"requires() takes Capability members, not {capability!r}")
    marker: pytest.MarkDecorator = getattr(pytest.mark, REQUIRES_MARKER)
    return marker(*capabilities)


def required_capabilities(node: pytest.Item) -> list[Capability]:
    """The capabilities the test ``node`` needs (from its ``requires`` markers)."""
    found: list[Capability] = []
    for marker in node.iter_markers(REQUIRES_MARKER):
        found.extend(capability for capability in marker.args if capability not in found)
    return found


def capability_names(capabilities: Iterable[Capability]) -> str:
    return ", ".join(sorted(capability.value for capability in capabilities)) or "none"


def missing_capabilities(pool: BaseWorkerPool, needed: Iterable[Capability]) -> list[Capability]:
    declared = frozenset(pool.capabilities)
    return [capability for capability in needed if capability not in declared]


def skip_reason(pool: BaseWorkerPool, missing: Iterable[Capability]) -> str:
    return (
        f"{pool.describe()} does not declare the capability {capability_names(missing)} "
        f"(it declares: {capability_names(pool.capabilities)})"
    )


def check_known_gaps(cls: type, gaps: Mapping[str, str]) -> None:
    """Refuse ``known_gaps`` that name no test of the class or give no reason."""
    if not isinstance(gaps, Mapping):
        raise TypeError(
            f"{cls.__name__}.known_gaps must map test names to reasons, not {type(gaps).__name__}"
        )
    tests = sorted(name for name in dir(cls) if name.startswith("test_"))
    for name, reason in gaps.items():
        if name not in tests:
            raise TypeError(
                f"{cls.__name__}.known_gaps names {name!r}, which is not a test of the "
                f"conformance suite (its tests: {', '.join(tests)})"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise TypeError(f"{cls.__name__}.known_gaps[{name!r}] must give a reason (a string)")


def known_gap_marker(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"known gap: {reason}")
