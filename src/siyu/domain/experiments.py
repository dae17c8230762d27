"""Experiments (实验): hold out a random share of a send's audience, or split it between variants.

An experiment has *arms* with integer weights, e.g. ``holdout`` 10 (the control: reached by
nothing) and ``a`` 45 / ``b`` 45 (the variants). The first arm marked ``control`` is what every
variant is compared with (see ``siyu.analytics.experiments``).

Assignment is deterministic: a customer's arm is a pure function of the experiment's *salt*
and the customer id, so it is the same on every run, process and machine, and needs no
random state (the approach of PlanOut and of most feature-flag systems):

    bucket = first 8 bytes of SHA-256("<salt>:<customer_id>") as an integer, mod 10,000
    arm    = the arm whose slice of [0, 10,000) holds the bucket; slices are laid out in the
             arms' order, each weight / total weight of the 10,000 buckets wide

SHA-256 (``hashlib``) spreads consecutive ids uniformly, so each arm's share is its weight's
share within sampling error. The service stores the first assignment of each customer, so a
later change of code or weights can never move a customer who was already counted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from siyu.domain.errors import InvalidInput
from siyu.domain.organisation import clean_name

BUCKETS = 10_000
MAX_ARMS = 10
MAX_WINDOW_DAYS = 365
ARM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class Arm:
    key: str  # a short code: holdout, a, b
    weight: int
    control: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "weight": self.weight, "control": self.control}


def _arms(raw: list[Arm] | tuple[Arm, ...]) -> tuple[Arm, ...]:
    arms = tuple(raw)
    if not 2 <= len(arms) <= MAX_ARMS:
        raise InvalidInput("experiment.arm_count", "an experiment has %(min)s to %(max)s arms", field="arms", min=2, max=MAX_ARMS)
    keys = [a.key for a in arms]
    for key in keys:
        if not ARM_KEY.match(key):
            raise InvalidInput("experiment.bad_arm_key", "an arm key is a lower-case letter then letters, digits or _ (at most 32)",
                               field="arms")
    if len(set(keys)) != len(keys):
        raise InvalidInput("experiment.arm_twice", "two arms have the same key %(key)s", field="arms",
                           key=next(k for k in keys if keys.count(k) > 1))
    if any(not 1 <= a.weight <= BUCKETS for a in arms):
        raise InvalidInput("experiment.bad_weight", "an arm's weight is 1 to %(max)s", field="arms", max=BUCKETS)
    if sum(a.weight for a in arms) > BUCKETS:
        raise InvalidInput("experiment.weights_too_large", "the weights add up to at most %(max)s", field="arms", max=BUCKETS)
    if sum(a.control for a in arms) != 1:
        raise InvalidInput("experiment.one_control", "exactly one arm is the control (the holdout)", field="arms")
    return arms


@dataclass(frozen=True, slots=True)
class ExperimentDraft:
    """What a person enters for an experiment; checked before anything is stored."""

    name: str
    arms: tuple[Arm, ...]
    window_days: int

    @classmethod
    def parse(cls, *, name: str, arms: list[Arm] | tuple[Arm, ...], window_days: int = 7) -> ExperimentDraft:
        if not 1 <= window_days <= MAX_WINDOW_DAYS:
            raise InvalidInput("experiment.bad_window", "the conversion window is 1 to %(max)s days", field="window_days",
                               max=MAX_WINDOW_DAYS)
        return cls(clean_name(name, field="name"), _arms(arms), window_days)

    @classmethod
    def holdout(cls, *, name: str, holdout_percent: int, variants: tuple[str, ...] = ("send",), window_days: int = 7) -> ExperimentDraft:
        """The common shape: a holdout of ``holdout_percent``% and the rest split evenly between variants."""
        if not 1 <= holdout_percent <= 99:
            raise InvalidInput("experiment.bad_holdout", "the holdout is 1 to 99 percent", field="holdout_percent")
        rest = (100 - holdout_percent) * 100
        if not variants or rest // len(variants) < 1:
            raise InvalidInput("experiment.arm_count", "an experiment has %(min)s to %(max)s arms", field="arms", min=2, max=MAX_ARMS)
        share, extra = divmod(rest, len(variants))
        arms = [Arm("holdout", holdout_percent * 100, control=True)]
        arms += [Arm(v, share + (1 if i < extra else 0)) for i, v in enumerate(variants)]
        return cls.parse(name=name, arms=arms, window_days=window_days)


def bucket(salt: str, customer_id: int) -> int:
    """The customer's bucket in [0, BUCKETS): the same everywhere, for ever."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


@dataclass(frozen=True, slots=True)
class Experiment:
    id: int
    name: str
    salt: str
    arms: tuple[Arm, ...]
    window_days: int
    started_at: datetime
    created_at: datetime

    @property
    def control(self) -> Arm:
        return next(a for a in self.arms if a.control)

    @property
    def variants(self) -> tuple[Arm, ...]:
        return tuple(a for a in self.arms if not a.control)

    def arm_of(self, customer_id: int) -> str:
        """The arm a customer falls in (module docstring); weights are scaled onto the buckets."""
        total = sum(a.weight for a in self.arms)
        point = bucket(self.salt, customer_id) * total  # compare b / BUCKETS with edge / total, in integers
        edge = 0
        for arm in self.arms:
            edge += arm.weight
            if point < edge * BUCKETS:
                return arm.key
        return self.arms[-1].key  # unreachable: bucket < BUCKETS, so point < total * BUCKETS
