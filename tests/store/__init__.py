"""Tests of cvframe._store."""
