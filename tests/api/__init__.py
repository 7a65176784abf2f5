"""Tests of cvframe._api."""
