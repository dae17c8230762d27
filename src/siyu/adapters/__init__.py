"""Adapters: the database, channels, queue, warehouse and storage behind ports."""
