"""An emulator of the Xbox Live Multiplayer Session Directory, for offline demos and
tests.

```python
from sessionclient.emulator import Emulator

emulator = Emulator(time_scale=0.01)        # 15 s throttling windows last 0.15 s
with emulator.client("1234") as client:     # in-process: no sockets
    client.create(ref)
with emulator.serve() as url:               # real sockets on 127.0.0.1 (uvicorn)
    ...
```
"""

from ._adapters import EmulatorApp, EmulatorTransport
from ._directory import (
    DEFAULT_SCID,
    DEFAULT_SERVICE_CONFIGS,
    Directory,
    EmulatedRequest,
    EmulatedResponse,
    HandledRequest,
    Template,
)
from ._emulator import DEFAULT_USERHASH, EMULATOR_URL, Emulator
from ._faults import Fault, FaultKind
from ._throttle import Throttle

__all__ = [
    "DEFAULT_SCID",
    "DEFAULT_SERVICE_CONFIGS",
    "DEFAULT_USERHASH",
    "EMULATOR_URL",
    "Directory",
    "EmulatedRequest",
    "EmulatedResponse",
    "Emulator",
    "EmulatorApp",
    "EmulatorTransport",
    "Fault",
    "FaultKind",
    "HandledRequest",
    "Template",
    "Throttle",
]
