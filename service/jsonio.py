"""The service's JSON: answers encoded with orjson (a decision with its trace is ~30 KiB,
which the standard library took as long to write as the engine took to decide), in the
decision's own key order; what orjson cannot write (dates, an integer beyond 64 bits) goes
to Flask's own provider. Requests are still parsed by the standard library (`request_size`
and `inputs` see to their limits)."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_COMPACT = {"separators": (",", ":")}  # what `response` asks for out of debug mode


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, writing with orjson where it can."""

    sort_keys = False  # keep the decision's own order

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs and kwargs != _COMPACT:  # indent, sort_keys...: Flask's own way
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(
                obj,
                default=self.default,
                option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS,
            ).decode()
        except (orjson.JSONEncodeError, TypeError):
            return super().dumps(obj)
