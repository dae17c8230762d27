"""A send's own experiment (群发实验): what an operator ticks on the mass-send form.

"Hold out N% as a control group" and/or "add a variant B text" make an experiment for the
send, in the send's own transaction (``services.experiments.attach_in``):

| holdout | variant B | arms (the control first) | who is compared with whom |
|---|---|---|---|
| N% | no | ``holdout`` N%, ``send`` the rest | the send against no send |
| N% | yes | ``holdout`` N%, ``a`` and ``b`` half the rest each | each text against no send |
| no | yes | ``a`` 50% (the control, sent the usual text), ``b`` 50% | text B against text A |

Variant ``a`` (or ``send``) gets the send's own text; ``b`` gets the variant text.
"""

from __future__ import annotations

from dataclasses import dataclass

from siyu.domain.errors import InvalidInput
from siyu.domain.experiments import ExperimentDraft, Variant
from siyu.domain.mass_sends import check_text


@dataclass(frozen=True, slots=True)
class SendExperiment:
    holdout_percent: int  # 0: no holdout
    variant_b_text: str | None
    window_days: int = 7
    name: str | None = None  # default: the send's name (made unique among the brand's experiments)

    @classmethod
    def parse(cls, *, holdout_percent: int = 0, variant_b_text: str | None = None, window_days: int = 7,
              name: str | None = None) -> SendExperiment:
        text = check_text(variant_b_text, "variant_b_text", required=False) or None
        if not holdout_percent and text is None:
            raise InvalidInput("experiment.nothing_to_test", "hold out a share of the audience or add a variant B text",
                               field="holdout_percent")
        made = cls(holdout_percent, text, window_days, (name or "").strip() or None)
        made.draft(made.name or "-")  # the shares and the window are checked now, not when the send is saved
        return made

    def draft(self, name: str) -> ExperimentDraft:
        variants = [Variant("a"), Variant("b")] if self.variant_b_text else [Variant("send")]
        return ExperimentDraft.split(name=name, holdout_percent=self.holdout_percent, variants=variants, window_days=self.window_days)

    @property
    def variant_texts(self) -> dict[str, str]:
        return {"b": self.variant_b_text} if self.variant_b_text else {}
