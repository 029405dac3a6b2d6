"""The secret that signs the session cookie and CSRF tokens, the same in every worker.

`TFP_SECRET_KEY` if set; otherwise a random secret kept in a file beside the database
(`secret_key`, readable by its owner only), made once by whichever worker starts first.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def secret_key(config: Mapping[str, Any]) -> str:
    """The secret from the environment, or from (a new) file beside the database."""
    if os.environ.get("TFP_SECRET_KEY"):
        return os.environ["TFP_SECRET_KEY"]
    path = Path(str(config["DATABASE"])).resolve().parent / "secret_key"
    if not path.exists():
        # Written whole under another name, then linked into place: a worker starting at
        # the same moment reads either no file or the whole secret, and the first link wins.
        draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
