"""The errors the lifetime-value models raise beside ``InvalidInput`` (bad data)."""

from __future__ import annotations

from siyu.domain.errors import DomainError


class FitDidNotConverge(DomainError):
    """The optimiser stopped without reaching a maximum of the likelihood. A small
    ``penalizer`` (0.001-0.1) usually helps, as do more customers with repeat purchases."""

    code = "not_converged"
