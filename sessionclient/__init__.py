"""sessionclient: a typed client for multiplayer session directories (Xbox Live MPSD).

```python
import sessionclient as sc

ref = sc.SessionRef(scid, "lobby", "game-1")
with sc.SessionClient(auth=sc.XBLToken(userhash, token)) as client:
    session = client.put(ref, {"properties": {"custom": {"map": "harbor"}}})
```
"""

from ._auth import TokenAuth, TokenProvider, XBLToken, xbl3_authorization
from ._client import (
    CONTRACT_VERSION,
    DEFAULT_BASE_URL,
    AsyncSessionClient,
    SessionClient,
)
from ._etag import ANY, ETag
from ._exceptions import (
    AmbiguousWriteError,
    Attempt,
    BadRequestError,
    ClientError,
    ConflictError,
    ForbiddenError,
    GatewayTimeoutError,
    InternalServerError,
    MalformedResponseError,
    MethodNotAllowedError,
    MethodNotImplementedError,
    NotFoundError,
    PreconditionFailedError,
    ServerError,
    ServiceUnavailableError,
    SessionClientError,
    StatusError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
)
from ._models import Accepted, Element, NotModified, Session
from ._profiles import MPSD, Profile
from ._ref import SessionRef
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "ANY",
    "CONTRACT_VERSION",
    "DEFAULT_BASE_URL",
    "MPSD",
    "Accepted",
    "AmbiguousWriteError",
    "AsyncSessionClient",
    "Attempt",
    "BadRequestError",
    "ClientError",
    "ConflictError",
    "ETag",
    "Element",
    "ForbiddenError",
    "GatewayTimeoutError",
    "InternalServerError",
    "MalformedResponseError",
    "MethodNotAllowedError",
    "MethodNotImplementedError",
    "NotFoundError",
    "NotModified",
    "PreconditionFailedError",
    "Profile",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "Session",
    "SessionClient",
    "SessionClientError",
    "SessionRef",
    "StatusError",
    "TokenAuth",
    "TokenProvider",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "XBLToken",
    "__version__",
    "xbl3_authorization",
]
