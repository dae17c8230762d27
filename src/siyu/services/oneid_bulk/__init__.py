"""OneID for records by the hundred thousand: the rule of :func:`siyu.services.oneid.resolve`,
applied a batch at a time. The one batched write path: imports and the demo brand use it.

A :class:`Resolver` takes a batch: :meth:`~Resolver.load` once, then for each record in order
:meth:`~Resolver.resolve_one` (create, attach or merge) and what the record itself sets (tags,
stage, owner), then :meth:`~Resolver.flush`. Two implementations give the same result:

- :class:`~siyu.services.oneid_bulk.batch.BatchResolver` works in memory and writes with bulk
  inserts (:class:`~siyu.adapters.db.repositories.bulk.BulkRepository`);
- :class:`SequentialResolver`, the reference, calls ``oneid.resolve`` and the single-row
  services (``apply_in``, ``move_in``, ``follow_in``) for each record.

Tests build the same brand both ways (tests/integration/test_demo.py) and import the same messy
file both ways (tests/integration/test_import_equivalence.py), and compare them row by row.
"""

from siyu.services.oneid_bulk.batch import BatchResolver, without_cycle_collector
from siyu.services.oneid_bulk.resolver import Incoming, Resolver, SequentialResolver, resolve_all

__all__ = ["BatchResolver", "Incoming", "Resolver", "SequentialResolver", "resolve_all", "without_cycle_collector"]
