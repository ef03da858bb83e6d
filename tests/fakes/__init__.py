"""Shared test fakes and local servers (used across test packages)."""
