"""The read side: one query class per business question, written once as Ibis expressions
over the warehouse schema (docs/warehouse.md) and run on whichever Ibis backend is configured,
and the statistical models fitted on it (``siyu.analytics.ltv``)."""
