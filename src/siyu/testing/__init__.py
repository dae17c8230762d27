"""Fakes shipped with the package, for tests, benches and demos (never used in production)."""
