"""Experiments (实验): hold out a random share of a send's audience, or split it between variants.

An experiment has *arms* with integer weights, e.g. ``holdout`` 10 (the control: reached by
nothing) and ``a`` 45 / ``b`` 45 (the variants). The arm marked ``control`` is what every
variant is compared with (:mod:`siyu.domain.experiment_reports`). The control is a holdout,
which a send leaves out, unless it is marked ``baseline``: then it is sent like the others
(an A/B split with no holdout, where variant ``b`` is compared with the usual text ``a``).

People enter an experiment as shares in percent (:meth:`ExperimentDraft.split`): a holdout of
1 to 50% (or none), and variants whose shares make up the rest; the arms' weights are the
shares in hundredths of a percent, so they add up to :data:`BUCKETS`.

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
MAX_HOLDOUT_PERCENT = 50  # a larger holdout is a send that mostly does not go out
ARM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class Arm:
    key: str  # a short code: holdout, a, b
    weight: int
    control: bool = False
    baseline: bool = False  # a control that is sent (no holdout): only on the control

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "weight": self.weight, "control": self.control, "baseline": self.baseline}


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
    if any(a.baseline and not a.control for a in arms):
        raise InvalidInput("experiment.baseline_not_control", "only the control arm can be a sent baseline", field="arms")
    return arms


@dataclass(frozen=True, slots=True)
class Variant:
    """A variant as a person enters it: its key and its share in percent (None: an even part of the rest)."""

    key: str
    percent: int | None = None


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
    def split(cls, *, name: str, holdout_percent: int, variants: list[Variant] | tuple[Variant, ...], window_days: int = 7,
              ) -> ExperimentDraft:
        """A holdout of ``holdout_percent``% (0: none; then the first variant is the control, and is sent)
        and the variants' shares, which with the holdout make 100% (leave every share out to split the rest evenly)."""
        if holdout_percent != 0 and not 1 <= holdout_percent <= MAX_HOLDOUT_PERCENT:
            raise InvalidInput("experiment.bad_holdout", "the holdout is 1 to %(max)s percent", field="holdout_percent",
                               max=MAX_HOLDOUT_PERCENT)
        if not variants or len(variants) + bool(holdout_percent) < 2 or len(variants) + bool(holdout_percent) > MAX_ARMS:
            raise InvalidInput("experiment.arm_count", "an experiment has %(min)s to %(max)s arms", field="arms", min=2, max=MAX_ARMS)
        given = [v.percent for v in variants if v.percent is not None]
        if given and len(given) != len(variants):
            raise InvalidInput("experiment.some_shares", "give every variant a share, or none to split the rest evenly",
                               field="variants")
        if any(not 1 <= p <= 100 - holdout_percent for p in given):
            raise InvalidInput("experiment.bad_share", "a variant's share is 1 to %(max)s percent", field="variants",
                               max=100 - holdout_percent)
        if given and sum(given) + holdout_percent != 100:
            raise InvalidInput("experiment.shares_sum", "the holdout and the variants add up to %(total)s percent, not 100",
                               field="variants", total=sum(given) + holdout_percent)
        if given:
            weights = [p * 100 for p in given]
        else:
            share, extra = divmod((100 - holdout_percent) * 100, len(variants))
            weights = [share + (1 if i < extra else 0) for i in range(len(variants))]
        arms = [Arm("holdout", holdout_percent * 100, control=True)] if holdout_percent else []
        arms += [Arm(v.key, w, control=not holdout_percent and i == 0, baseline=not holdout_percent and i == 0)
                 for i, (v, w) in enumerate(zip(variants, weights, strict=True))]
        return cls.parse(name=name, arms=arms, window_days=window_days)

    @classmethod
    def holdout(cls, *, name: str, holdout_percent: int, variants: tuple[str, ...] = ("send",), window_days: int = 7) -> ExperimentDraft:
        """The common shape: a holdout of ``holdout_percent``% and the rest split evenly between variants."""
        if holdout_percent == 0:  # split() reads 0 as "no holdout"; here a holdout is the point
            raise InvalidInput("experiment.bad_holdout", "the holdout is 1 to %(max)s percent", field="holdout_percent",
                               max=MAX_HOLDOUT_PERCENT)
        return cls.split(name=name, holdout_percent=holdout_percent, variants=[Variant(v) for v in variants],
                         window_days=window_days)


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

    @property
    def holdout(self) -> Arm | None:
        """The arm a send leaves out: the control, unless it is a sent baseline."""
        control = self.control
        return None if control.baseline else control

    def percent(self, arm: Arm) -> float:
        """The arm's share of the audience, in percent."""
        return 100 * arm.weight / sum(a.weight for a in self.arms)

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
