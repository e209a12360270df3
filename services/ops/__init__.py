"""Operator tools behind the ``sohoa`` command: the local stack, sample scans, the demo."""
