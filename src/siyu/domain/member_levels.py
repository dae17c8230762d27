"""Member levels (会员等级): the tenant's ordered list of the mall's levels, lowest first, and the
level from which a member counts as loyal (the L of AIPL, with a repeat purchase).

A customer's level is a profile attribute (``Customer.member_level``) the mall sets through the
API or an import, as the level's name. A name that is not (or no longer) in the list is kept on
the customer but counts as no level: never loyal.
"""

from __future__ import annotations

from dataclasses import dataclass

from siyu.domain.errors import InvalidInput

MAX_LEVELS = 20
NAME_MAX = 32


@dataclass(frozen=True, slots=True)
class MemberLevels:
    names: tuple[str, ...] = ()  # lowest first
    loyal_from: str | None = None  # empty: no level counts as loyal

    @classmethod
    def parse(cls, names: list[str], loyal_from: str | None) -> MemberLevels:
        cleaned = tuple(n.strip() for n in names if n.strip())
        if len(cleaned) > MAX_LEVELS:
            raise InvalidInput("member_level.too_many", "at most %(max)s member levels", field="names", max=MAX_LEVELS)
        for name in cleaned:
            if len(name) > NAME_MAX:
                raise InvalidInput("member_level.name_too_long", "“%(name)s”: a level's name is at most %(max)s characters",
                                   field="names", name=name, max=NAME_MAX)
        repeated = next((n for i, n in enumerate(cleaned) if n in cleaned[:i]), None)
        if repeated is not None:
            raise InvalidInput("member_level.duplicate", "“%(name)s” is listed twice", field="names", name=repeated)
        threshold = (loyal_from or "").strip() or None
        if threshold is not None and threshold not in cleaned:
            raise InvalidInput("member_level.unknown_threshold", "“%(name)s” is not one of the levels", field="loyal_from",
                               name=threshold)
        return cls(names=cleaned, loyal_from=threshold)

    @property
    def loyal(self) -> tuple[str, ...]:
        """The levels that count as loyal: the threshold and every level above it."""
        return () if self.loyal_from is None else self.names[self.names.index(self.loyal_from):]

    def is_loyal(self, level: str | None) -> bool:
        return level is not None and level in self.loyal

    def check_choice(self, level: str | None, *, current: str | None) -> None:
        """A level picked by hand must be listed; the customer's ``current`` level may stay
        (kept though no longer listed)."""
        if level is not None and level != current and level not in self.names:
            raise InvalidInput("member_level.unknown", "“%(name)s” is not one of the member levels", field="member_level",
                               name=level)
