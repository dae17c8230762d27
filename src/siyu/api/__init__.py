"""The JSON API (FastAPI): thin routes over the services, bearer-token auth."""
