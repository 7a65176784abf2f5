"""Tests of cvframe._analytics."""
