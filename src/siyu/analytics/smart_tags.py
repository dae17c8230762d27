"""Which smart tags each customer should carry, and the scores segment rules read, from the
analyses (read-only: the writes are ``siyu.services.smart_tags``; ``siyu.tasks.refresh_smart_tags``
joins the two after each sync). RFM and LTV run once per refresh (:func:`analyse`); the tags
and the scores both come from that one answer.

- **RFM** (tag group :data:`RFM_GROUP`): every live customer the RFM query scores carries
  exactly one tag, their segment (:data:`RFM_TAGS`, Chinese and English so both read it).
- **Scores** (:func:`customer_scores`, stored in ``customer_scores``): every customer RFM
  scores gets their segment; P(alive) and the 90/365-day predictions are added when the LTV
  models fit (rounded: P(alive) and purchases to 6 places, value to the fen, so a refit that
  moves nothing visible rewrites nothing). A customer without a purchase gets no scores.
- **Churn risk** (tag :data:`CHURN_TAG`, group :data:`LTV_GROUP`): live customers whose BG/NBD
  P(alive), from the tenant's lifetime-value fit, is below :data:`CHURN_THRESHOLD` (default
  0.3: fewer than three chances in ten that they are still buying). One-time buyers are never at
  risk by this measure (BG/NBD's P(alive) is 1 for them). While the tenant's purchases cannot fit
  the models (no repeat buyers yet), there is no churn rule and its tags stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow.compute as pc
import structlog

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.lifetime_value import LtvQuery, LtvResult
from siyu.analytics.rfm import RfmQuery, RfmResult, Segment
from siyu.domain.errors import InvalidInput
from siyu.domain.segments import CustomerScore
from siyu.domain.tags import RuleTags

log = structlog.get_logger("siyu.analytics")

RFM_GROUP = "RFM"
RFM_TAGS: dict[Segment, str] = {
    Segment.CHAMPIONS: "重要价值 champions",
    Segment.LOYAL: "忠诚 loyal",
    Segment.POTENTIAL_LOYALISTS: "潜力 potential loyalists",
    Segment.NEW: "新客 new",
    Segment.PROMISING: "有望 promising",
    Segment.NEED_ATTENTION: "需关注 need attention",
    Segment.ABOUT_TO_SLEEP: "将沉睡 about to sleep",
    Segment.AT_RISK: "有风险 at risk",
    Segment.CANT_LOSE: "不能失去 can't lose",
    Segment.HIBERNATING: "沉睡 hibernating",
}
LTV_GROUP = "LTV"
CHURN_TAG = "流失风险 churn risk"
CHURN_THRESHOLD = 0.3
#: the lifetime-value columns a customer's scores are made of (money in fen)
LTV_SCORE_COLUMNS = ("customer_id", "probability_alive", "purchases_90d", "purchases_365d", "value_90d_fen", "value_365d_fen")


def rfm_rule(result: RfmResult) -> RuleTags:
    return RuleTags(group=RFM_GROUP, names=tuple(RFM_TAGS.values()),
                    wanted={customer_id: RFM_TAGS[segment] for customer_id, segment in result.segment_of_customer().items()})


def churn_rule(result: LtvResult, threshold: float = CHURN_THRESHOLD) -> RuleTags:
    return RuleTags(group=LTV_GROUP, names=(CHURN_TAG,),
                    wanted=dict.fromkeys(result.customers.where(pc.less(result.customers.column("probability_alive"), threshold))
                                         .column("customer_id").to_pylist(), CHURN_TAG))


@dataclass(frozen=True)
class Analyses:
    """The analyses smart tags and scores are made of: RFM, and LTV when the purchases fit."""

    rfm: RfmResult
    ltv: LtvResult | None


def analyse(warehouse: Warehouse, tenant_id: int, *, as_of: date | None = None) -> Analyses:
    rfm = RfmQuery(tenant_id=tenant_id, as_of=as_of).run(warehouse)
    try:
        ltv: LtvResult | None = LtvQuery(tenant_id=tenant_id, as_of=as_of).run(warehouse)
    except InvalidInput as exc:
        log.info("no lifetime-value fit yet", tenant_id=tenant_id, reason=exc.message)
        ltv = None
    return Analyses(rfm=rfm, ltv=ltv)


def check_threshold(churn_threshold: float) -> None:
    if not 0 < churn_threshold < 1:
        raise InvalidInput("analytics.threshold_out_of_range", "the churn threshold is a probability between 0 and 1",
                           field="churn_threshold")


def smart_tag_rules(analyses: Analyses, *, churn_threshold: float = CHURN_THRESHOLD) -> list[RuleTags]:
    """The RFM rule, and the churn rule when the tenant's purchases fit the LTV models."""
    check_threshold(churn_threshold)
    rules = [rfm_rule(analyses.rfm)]
    if analyses.ltv is not None:
        rules.append(churn_rule(analyses.ltv, churn_threshold))
    return rules


def customer_scores(analyses: Analyses) -> dict[int, CustomerScore]:
    """Every scored customer's scores, by customer id (see the module docstring), read by column."""
    ltv: dict[int, tuple[Any, ...]] = {}
    if analyses.ltv is not None:
        rows = analyses.ltv.customers
        ids, *values = (rows.column(c).to_pylist() for c in LTV_SCORE_COLUMNS)
        ltv = dict(zip(ids, zip(*values, strict=True), strict=True))
    out: dict[int, CustomerScore] = {}
    for customer_id, segment in analyses.rfm.segment_of_customer().items():
        value = ltv.get(customer_id)
        if value is None:
            out[customer_id] = CustomerScore(rfm_segment=segment.value)
            continue
        alive, purchases_90, purchases_365, fen_90, fen_365 = value
        out[customer_id] = CustomerScore(
            rfm_segment=segment.value, p_alive=round(alive, 6),
            predicted_purchases_90=round(purchases_90, 6), predicted_purchases_365=round(purchases_365, 6),
            predicted_value_90=fen_90 / 100, predicted_value_365=fen_365 / 100)  # float(Decimal(fen) / 100), exactly
    return out
