"""Pages of long lists: every list in the product is paged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from siyu.domain.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE_SIZE = 200
# Long lists count their matches up to here and then say "10,000+": an exact count of 100,000
# matches costs more than the page itself (a liveness check per match), and nobody pages that far.
TOTAL_CAP = 10_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        if self.page < 1:
            raise InvalidInput("page.start", "page starts at 1", field="page")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidInput("page.size", "page_size is 1 to %(max)s", field="page_size", max=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list. ``total_capped``: there are more than ``total`` items (counting
    stopped there); the pages past it are still there, and ``more`` says whether one follows."""

    items: list[T]
    total: int
    page: int
    page_size: int
    total_capped: bool = False
    more: bool | None = None  # known when the page was read with one row extra

    @property
    def pages(self) -> int:
        """How many pages, or with a capped total how many at least."""
        counted = max(1, -(-self.total // self.page_size))
        return max(counted, self.page + 1 if self.more else self.page) if self.total_capped else counted

    @property
    def has_next(self) -> bool:
        return self.more if self.more is not None else self.page < self.pages


def count_up_to(counted: int, cap: int | None) -> tuple[int, bool]:
    """A count taken with ``LIMIT cap + 1`` -> (the total to show, whether it is capped)."""
    if cap is not None and counted > cap:
        return cap, True
    return counted, False
