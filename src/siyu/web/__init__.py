"""The console: server-rendered pages for people, calling the services directly."""
