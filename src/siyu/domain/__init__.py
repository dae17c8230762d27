"""Plain-Python rules of the business. Imports nothing from frameworks or adapters."""
