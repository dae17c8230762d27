"""The analytics warehouse: an Ibis backend (DuckDB by default, PostgreSQL ...) holding a
copy of the operational data in the schema of docs/warehouse.md."""

from siyu.adapters.warehouse.schema import TABLES
from siyu.adapters.warehouse.store import CompiledQuery, Warehouse, connect, naive_utc, open_warehouse

__all__ = ["TABLES", "CompiledQuery", "Warehouse", "connect", "naive_utc", "open_warehouse"]
