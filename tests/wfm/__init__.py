"""Tests of cvframe._wfm."""
