"""`MLMode`: what a machine-learning op does when its node runs."""

from __future__ import annotations

from enum import Enum


class MLMode(Enum):
    """``FIT`` trains the op, ``PREDICT`` uses it, ``FIT_PREDICT`` trains it then uses it."""

    FIT = "fit"
    PREDICT = "predict"
    FIT_PREDICT = "fit_predict"
