"""Builders and helpers the tests share."""
