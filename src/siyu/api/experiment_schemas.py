"""Experiments and their reports: ExperimentCreate/Update, ExperimentOut, ExperimentPage, ExperimentReportOut,
and SendExperimentIn (a mass send's own holdout and variant B)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut
from siyu.domain.experiment_reports import ExperimentReport
from siyu.domain.experiment_stats import ALPHA, MeanTest, NoTest, ProportionTest
from siyu.domain.experiments import ExperimentDraft, Variant
from siyu.domain.send_experiments import SendExperiment


class VariantIn(BaseModel):
    key: str = Field(max_length=32, description="A lower-case letter, then letters, digits or _: a, b, send")
    percent: int | None = Field(default=None, description="Its share of the audience; leave out on every variant to split the rest evenly")


class ExperimentCreate(BaseModel):
    name: str = Field(max_length=64, description="Unique among the brand's experiments")
    holdout_percent: int = Field(default=10, description="1 to 50% held out as the control; 0 for none (the first variant is "
                                                         "then the control, and is sent)")
    variants: list[VariantIn] = Field(default_factory=lambda: [VariantIn(key="send")], max_length=10)
    window_days: int = Field(default=7, description="The default conversion window, in days after the start")

    def draft(self) -> ExperimentDraft:
        return ExperimentDraft.split(name=self.name, holdout_percent=self.holdout_percent,
                                     variants=[Variant(v.key, v.percent) for v in self.variants], window_days=self.window_days)


class ExperimentUpdate(ExperimentCreate):
    """The whole experiment again; refused (409 experiment.in_use) once a send uses it."""


class SendExperimentIn(BaseModel):
    holdout_percent: int = Field(default=0, description="Hold out 1 to 50% of the audience as the control; 0 for none")
    variant_b_text: str | None = Field(default=None, max_length=4000, description="A second text: half of those sent get it")
    window_days: int = 7
    name: str | None = Field(default=None, max_length=64, description="Default: the send's name, made unique")

    def parse(self) -> SendExperiment:
        return SendExperiment.parse(**self.model_dump())


class ArmOut(Out):
    key: str
    weight: int
    control: bool
    baseline: bool = Field(description="A control that is sent (no holdout); otherwise the control is held out")


class ExperimentOut(Out):
    id: int
    name: str
    arms: list[ArmOut]
    window_days: int = Field(description="The default conversion window, in days after `started_at`")
    started_at: datetime
    created_at: datetime


class ExperimentPage(PageOut[ExperimentOut]):
    pass


class ArmOutcomeOut(BaseModel):
    key: str
    control: bool
    customers: int = Field(description="Customers assigned to the arm")
    converters: int = Field(description="Customers with at least one order in the window that is not wholly refunded")
    conversion_rate: float | None = Field(description="converters / customers; null for an arm with no customers")
    gmv: Decimal = Field(description="Sum over the window's orders of amount less refunds, in yuan")
    gmv_per_customer: Decimal | None = Field(description="gmv / customers (every customer of the arm, buyers or not)")
    repliers: int = Field(description="Customers with at least one `message_replied` event that occurred in the window (sent "
                                      "through POST /api/v1/events:batch); two replies are one replier")
    reply_rate: float | None = Field(description="repliers / customers; null for an arm with no customers")


class ConversionTestOut(BaseModel):
    """A two-proportion test: of conversion, or of the reply rate (``replies``)."""

    tested: bool
    reason: str | None = Field(default=None, description="Why there is no test: no_customers, no_converters, all_converted "
                                                         "(of replies: no_customers, no_repliers, all_replied)")
    difference: float | None = Field(default=None, description="variant rate - control rate")
    relative_uplift: float | None = Field(default=None, description="difference / control rate")
    z: float | None = Field(default=None, description="Pooled two-proportion z statistic")
    p_value: float | None = Field(default=None, description="Two-sided")
    ci_low: float | None = Field(default=None, description="95% CI of the difference (unpooled standard error)")
    ci_high: float | None = None
    small_sample: bool = Field(default=False, description="Fewer than 5 expected converters (repliers) or non-converters in an arm")
    significant: bool = Field(default=False, description=f"p < {ALPHA}")


class GmvTestOut(BaseModel):
    tested: bool
    reason: str | None = Field(default=None, description="Why there is no test: no_customers, too_few, no_variance")
    difference: float | None = Field(default=None, description="variant GMV per customer - control's")
    t: float | None = Field(default=None, description="Welch's t statistic")
    degrees_of_freedom: float | None = None
    p_value: float | None = Field(default=None, description="Two-sided")
    significant: bool = False


class ComparisonOut(BaseModel):
    arm: str
    control: str
    conversion: ConversionTestOut
    gmv_per_customer: GmvTestOut
    replies: ConversionTestOut = Field(description="The reply rate against the control's, by the same pooled z-test")
    significant: bool = Field(description="Conversion differs from the control's at 95%")


class PlannedArmOut(Out):
    key: str
    targeted: int = Field(description="Planned to be sent")
    held_out: int = Field(description="Excluded because the arm is the holdout")
    excluded: int = Field(description="Excluded for another reason: no relation, no WeCom id, contact pressure")


class PlannedSendOut(Out):
    send_id: int
    name: str
    audience: int
    arms: list[PlannedArmOut]


class ExperimentReportOut(BaseModel):
    experiment: ExperimentOut
    window_days: int
    window_start: datetime
    window_end: datetime = Field(description="Exclusive")
    complete: bool = Field(description="The window is over")
    arms: list[ArmOutcomeOut]
    comparisons: list[ComparisonOut] = Field(description="Each variant against the control")
    sends: list[PlannedSendOut] = Field(description="Each planned send of the experiment, with its arms as it planned them")


def _conversion(test: ProportionTest | NoTest) -> ConversionTestOut:
    if isinstance(test, NoTest):
        return ConversionTestOut(tested=False, reason=test.reason)
    return ConversionTestOut(tested=True, difference=test.difference, relative_uplift=test.relative_uplift, z=test.z,
                             p_value=test.p_value, ci_low=test.ci_low, ci_high=test.ci_high, small_sample=test.small_sample,
                             significant=test.significant)


def _gmv(test: MeanTest | NoTest) -> GmvTestOut:
    if isinstance(test, NoTest):
        return GmvTestOut(tested=False, reason=test.reason)
    return GmvTestOut(tested=True, difference=test.difference, t=test.t, degrees_of_freedom=test.degrees_of_freedom,
                      p_value=test.p_value, significant=test.significant)


def report_out(report: ExperimentReport) -> ExperimentReportOut:
    return ExperimentReportOut(
        experiment=ExperimentOut.model_validate(report.experiment), window_days=report.window_days,
        window_start=report.window_start, window_end=report.window_end, complete=report.complete,
        arms=[ArmOutcomeOut(key=a.key, control=a.control, customers=a.customers, converters=a.converters,
                            conversion_rate=a.conversion_rate, gmv=a.gmv, gmv_per_customer=a.gmv_per_customer,
                            repliers=a.repliers, reply_rate=a.reply_rate) for a in report.arms],
        comparisons=[ComparisonOut(arm=c.arm, control=c.control, conversion=_conversion(c.conversion),
                                   gmv_per_customer=_gmv(c.gmv_per_customer), replies=_conversion(c.replies), significant=c.significant)
                     for c in report.comparisons],
        sends=[PlannedSendOut.model_validate(s) for s in report.sends])
