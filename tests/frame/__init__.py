"""Tests of cvframe._frame."""
