"""The local stack's ports come from below the ephemeral range, so a crashed service started
again on its port never finds it taken by some outgoing connection."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from services.ops import broker
from services.ops.broker import free_port


def test_ports_are_outside_the_ephemeral_range_and_never_handed_out_twice() -> None:
    low, high = (int(v) for v in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    ports = [free_port() for _ in range(50)]
    assert not [port for port in ports if low <= port <= high]
    assert len(set(ports)) == len(ports)


def test_a_port_in_use_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        taken.listen()
        # a range holding only the taken port and one free neighbour
        monkeypatch.setattr(broker, "_listening_ports", lambda: range(port, port + 2))
        monkeypatch.setattr(broker, "_handed_out", set())
        chosen = free_port()
    assert chosen != port
