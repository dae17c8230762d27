"""The read side: analytics over the warehouse schema, and the statistical models fitted on it."""
