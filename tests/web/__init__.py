"""Tests of the console (siyu.web)."""
