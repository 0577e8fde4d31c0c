"""Shared test helpers: real warehouses, stores and servers for the tests."""
