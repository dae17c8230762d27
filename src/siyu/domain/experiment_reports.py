"""An experiment's report: per arm, who converted and what they spent over a window, and each
variant against the control (:mod:`siyu.domain.experiment_stats` for the tests).

- **window**: ``[started_at, started_at + window_days)`` — days after the experiment's start,
  the same bounds for every arm, so the holdout and the variants are measured over the same
  calendar days (the service docstring of ``create_experiment`` says so too).
- **customers**: the customers assigned to the arm (stored assignments).
- **converters**: customers with at least one order placed in the window that is not wholly
  refunded; **GMV**: the sum of those orders' amount less their refunds (as known now, so a
  refund made after the window still lowers it).
- **repliers**: customers with at least one behaviour event named ``message_replied``
  (:data:`siyu.domain.events.REPLY_EVENT`) that occurred in the window, by the same rule as
  orders; **reply rate** = repliers / customers, compared with the control's by the same
  two-proportion test as conversion. A reply is a message the customer sent to the brand's staff; WeCom shows message
  content only through the conversation archive (会话存档), so the brand's archive pipeline (or
  any integration) sends each reply as an event through ``POST /api/v1/events:batch``
  (docs/orders.md, "Replies"). Two replies are one replier; a reply by a customer in no arm
  counts nowhere; events not matched to a customer yet count once they are matched.
- **sends**: each send of the experiment, with its arms as it planned them: targeted (to be
  sent), held out (the holdout arm, excluded on purpose) and excluded for another reason (no
  relation, no WeCom id, contact pressure). An arm's customers above count everyone assigned,
  reachable or not, so the comparison is of whole arms (intention to treat) and the exclusions
  for other reasons fall alike on every arm.
- Known gap: a customer merged into another after assignment keeps their arm, but their
  orders and events move to the survivor, so they count as neither converted nor replied (the
  survivor counts them, if the survivor is assigned).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from siyu.domain.errors import InvalidInput
from siyu.domain.experiment_stats import MeanTest, Moments, NoTest, ProportionTest, two_proportions, welch
from siyu.domain.experiments import MAX_WINDOW_DAYS, Experiment

_REPLY_REASONS = {"no_converters": "no_repliers", "all_converted": "all_replied"}  # NoTest codes, said of replies


@dataclass(frozen=True, slots=True)
class ArmOutcome:
    key: str
    control: bool
    customers: int
    converters: int
    gmv: Decimal
    gmv_moments: Moments  # over every customer of the arm (0 for those who bought nothing)
    repliers: int  # customers with at least one message_replied event in the window

    @property
    def conversion_rate(self) -> float | None:
        return self.converters / self.customers if self.customers else None

    @property
    def reply_rate(self) -> float | None:
        return self.repliers / self.customers if self.customers else None

    @property
    def gmv_per_customer(self) -> Decimal | None:
        return (self.gmv / self.customers).quantize(Decimal("0.01")) if self.customers else None


@dataclass(frozen=True, slots=True)
class Comparison:
    arm: str
    control: str
    conversion: ProportionTest | NoTest
    gmv_per_customer: MeanTest | NoTest
    replies: ProportionTest | NoTest  # reply rate against the control's (NoTest: no_customers, no_repliers, all_replied)

    @property
    def significant(self) -> bool:
        """Conversion differs at 95% (the headline verdict)."""
        return isinstance(self.conversion, ProportionTest) and self.conversion.significant


@dataclass(frozen=True, slots=True)
class PlannedArm:
    key: str
    targeted: int  # planned to be sent
    held_out: int  # excluded because the arm is the holdout
    excluded: int  # excluded for another reason (no relation, contact pressure ...)


@dataclass(frozen=True, slots=True)
class PlannedSend:
    send_id: int
    name: str
    arms: tuple[PlannedArm, ...]

    @property
    def audience(self) -> int:
        return sum(a.targeted + a.held_out + a.excluded for a in self.arms)


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    experiment: Experiment
    window_days: int
    window_start: datetime
    window_end: datetime
    complete: bool  # the window is over: the numbers will not grow any more (refunds aside)
    arms: tuple[ArmOutcome, ...]
    comparisons: tuple[Comparison, ...]
    sends: tuple[PlannedSend, ...] = ()


HOLDOUT_REASON = "holdout"  # domain.mass_sends.ExclusionReason.HOLDOUT


def planned_sends(experiment: Experiment, rows: Iterable[tuple[int, str, str, str | None, int]]) -> tuple[PlannedSend, ...]:
    """Fold (send id, send name, arm, exclusion reason or None, customers) rows into each send's arms
    (every arm of the experiment listed, in order; a send not planned yet is not listed)."""
    names: dict[int, str] = {}
    counts: dict[tuple[int, str], list[int]] = {}
    for send_id, name, arm, reason, customers in rows:
        names[send_id] = name
        slot = counts.setdefault((send_id, arm), [0, 0, 0])
        slot[0 if reason is None else 1 if reason == HOLDOUT_REASON else 2] += customers
    return tuple(
        PlannedSend(send_id, names[send_id], tuple(PlannedArm(a.key, *counts.get((send_id, a.key), [0, 0, 0])) for a in experiment.arms))
        for send_id in sorted(names)
    )


def window_of(experiment: Experiment, window_days: int | None) -> tuple[int, datetime, datetime]:
    days = experiment.window_days if window_days is None else window_days
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise InvalidInput("experiment.bad_window", "the conversion window is 1 to %(max)s days", field="window_days", max=MAX_WINDOW_DAYS)
    return days, experiment.started_at, experiment.started_at + timedelta(days=days)


def _replies_test(arm: ArmOutcome, control: ArmOutcome) -> ProportionTest | NoTest:
    test = two_proportions(arm.repliers, arm.customers, control.repliers, control.customers)
    return NoTest(_REPLY_REASONS.get(test.reason, test.reason)) if isinstance(test, NoTest) else test


def build_report(experiment: Experiment, window_days: int, counts: dict[str, int], converters: Iterable[tuple[str, Decimal]], *,
                 now: datetime, repliers: dict[str, int]) -> ExperimentReport:
    """Fold the arm sizes, the converters' GMV and the repliers per arm into the report (every arm listed, in order)."""
    days, start, end = window_of(experiment, window_days)
    seen: dict[str, list[Decimal]] = {a.key: [Decimal(0), Decimal(0), Decimal(0)] for a in experiment.arms}  # count, sum, squares
    for arm, gmv in converters:
        bucket = seen.setdefault(arm, [Decimal(0), Decimal(0), Decimal(0)])  # an arm since removed: kept out below
        bucket[0] += 1
        bucket[1] += gmv
        bucket[2] += gmv * gmv
    outcomes = []
    for arm in experiment.arms:
        n, total, squares = seen[arm.key]
        customers = counts.get(arm.key, 0)
        outcomes.append(ArmOutcome(key=arm.key, control=arm.control, customers=customers, converters=int(n), gmv=total,
                                   gmv_moments=Moments(customers, total, squares), repliers=repliers.get(arm.key, 0)))
    control = next(o for o in outcomes if o.control)
    comparisons = tuple(
        Comparison(arm=o.key, control=control.key,
                   conversion=two_proportions(o.converters, o.customers, control.converters, control.customers),
                   gmv_per_customer=welch(o.gmv_moments, control.gmv_moments), replies=_replies_test(o, control))
        for o in outcomes if not o.control
    )
    return ExperimentReport(experiment=experiment, window_days=days, window_start=start, window_end=end, complete=now >= end,
                            arms=tuple(outcomes), comparisons=comparisons)
