import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.paging import Page, PageRequest, count_up_to


def test_page_arithmetic():
    page = Page(items=[1, 2], total=230, page=2, page_size=50)
    assert (page.pages, page.has_next) == (5, True)
    assert PageRequest(page=3, page_size=20).offset == 40


def test_an_empty_list_still_has_one_page():
    assert Page(items=[], total=0, page=1, page_size=50).pages == 1


@pytest.mark.parametrize(("page", "size"), [(0, 10), (1, 0), (1, 201)])
def test_out_of_range_requests_are_refused(page, size):
    with pytest.raises(InvalidInput):
        PageRequest(page=page, page_size=size)


def test_a_capped_total_is_a_lower_bound_and_the_next_page_is_known():
    past_the_cap = Page(items=[1] * 50, total=10_000, page=300, page_size=50, total_capped=True, more=True)
    assert (past_the_cap.pages, past_the_cap.has_next) == (301, True)
    last = Page(items=[1] * 50, total=10_000, page=301, page_size=50, total_capped=True, more=False)
    assert (last.pages, last.has_next) == (301, False)
    early = Page(items=[1] * 50, total=10_000, page=2, page_size=50, total_capped=True, more=True)
    assert (early.pages, early.has_next) == (200, True)


def test_count_up_to_caps_only_past_the_cap():
    assert count_up_to(10_001, 10_000) == (10_000, True)
    assert count_up_to(10_000, 10_000) == (10_000, False)
    assert count_up_to(123_456, None) == (123_456, False)
