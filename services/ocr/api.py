"""The OCR worker's HTTP side: only the probes every service has (``/health``, ``/ready``,
``/metrics``); work arrives as events."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["ocr"])
