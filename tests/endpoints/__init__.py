"""Tests of cvframe._endpoints."""
