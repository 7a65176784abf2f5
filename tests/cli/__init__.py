"""Tests of cvframe._cli."""
