import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.paging import Page, PageRequest


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
