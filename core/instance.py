"""A stable id for this process across restarts: leases and outbox claims are owned by it.

`FINSIGNAL_INSTANCE_ID` when set, else an id made once and kept in `<data_dir>/instance_id`, with
the process's role appended (a bot and a scheduler may share a data directory). Never the pid: a
restarted process must recognise its own leases and in-flight rows and take them over at once.
Two processes that share a data directory and a role must be given distinct FINSIGNAL_INSTANCE_IDs.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from pathlib import Path

logger = logging.getLogger(__name__)

FILE = "instance_id"


def _from_file(data_dir: Path) -> str:
    path = data_dir / FILE
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing[:48]
    made = f"{socket.gethostname()[:30]}-{secrets.token_hex(4)}"
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(made + "\n", encoding="utf-8")
    os.replace(tmp, path)
    logger.info("instance id %s written to %s", made, path)
    return made


def instance_id(configured: str | None, data_dir: Path, role: str) -> str:
    """The owner name of this process's leases and claims: '<id>:<role>'."""
    base = configured
    if not base:
        try:
            base = _from_file(data_dir)
        except OSError as exc:
            base = socket.gethostname()[:40]
            logger.warning(
                "cannot keep an instance id in %s (%s): using the host name %s", data_dir, exc, base
            )
    return f"{base}:{role}"
