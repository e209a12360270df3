# syntax=docker/dockerfile:1
# One image for every sohoa service; the container's command picks the service
# (sohoa-gateway, sohoa-ingest, sohoa-ocr, sohoa-catalogue, sohoa-handover) or the `sohoa` CLI.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the distribution into a virtualenv, so no build tooling ships ---
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/sohoa
ENV PATH=/opt/sohoa/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --upgrade pip setuptools wheel \
    && pip install .

# --- runtime ---
FROM ${PYTHON_IMAGE} AS runtime

# Tesseract with Vietnamese (vie) and orientation/script detection (osd) data; DejaVu for
# rendering text layers with Vietnamese diacritics (dấu); Liberation Serif (Times New Roman's
# metrics) for the visible PAdES signature.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr \
        tesseract-ocr-vie \
        tesseract-ocr-osd \
        poppler-utils \
        fonts-dejavu-core \
        fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
# /var/spool/sohoa: upload spool and handover work dir; a volume mounted there inherits owner.
RUN groupadd --system --gid 10001 sohoa \
    && useradd --system --uid 10001 --gid sohoa --home-dir /home/sohoa --create-home \
        --shell /usr/sbin/nologin sohoa \
    && install -d -o 10001 -g 10001 -m 0750 /var/spool/sohoa

COPY --from=build /opt/sohoa /opt/sohoa

ENV PATH=/opt/sohoa/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /home/sohoa
USER 10001:10001

EXPOSE 8000
CMD ["sohoa-gateway"]
