"""sessionclient: a typed client for multiplayer session directories (Xbox Live MPSD).

```python
import sessionclient as sc

ref = sc.SessionRef(scid, "lobby", "game-1")
with sc.SessionClient(auth=sc.XBLToken(userhash, token)) as client:
    session = client.put(ref, {"properties": {"custom": {"map": "harbor"}}})
```
"""

import logging

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
    TaskError,
    TaskFailedError,
    TaskTimeoutError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
)
from ._models import (
    Accepted,
    Created,
    Element,
    NoContent,
    NotModified,
    PartialContent,
    Resource,
    Session,
)
from ._profiles import (
    CONTACTS,
    MPSD,
    PROFILES,
    REST,
    TASKS,
    Body,
    Kind,
    Media,
    Profile,
    Row,
    Target,
)
from ._redis import RedisGate
from ._ref import SessionRef
from ._resource import AsyncResourceClient, AsyncTask, ResourceClient, Task
from ._retry import RetryPolicy, ThrottleMode
from ._version import __version__
from ._views import (
    Activity,
    Handle,
    Member,
    MembersInfo,
    RelatedInfo,
    SearchResult,
    SessionConstants,
    SessionSummary,
    SystemProperties,
)

# A library logs, the application shows: without a handler of the application's, Python
# would print the gate's warnings on stderr (logging's "last resort").
logging.getLogger("sessionclient").addHandler(logging.NullHandler())

__all__ = [
    "ANY",
    "CONTACTS",
    "CONTRACT_VERSION",
    "DEFAULT_BASE_URL",
    "MPSD",
    "PROFILES",
    "REST",
    "TASKS",
    "Accepted",
    "Activity",
    "AmbiguousWriteError",
    "AsyncResourceClient",
    "AsyncSessionClient",
    "AsyncTask",
    "Attempt",
    "BadRequestError",
    "Body",
    "ClientError",
    "ConflictError",
    "Created",
    "ETag",
    "Element",
    "ForbiddenError",
    "GatewayTimeoutError",
    "Handle",
    "InternalServerError",
    "Kind",
    "MalformedResponseError",
    "Media",
    "Member",
    "MembersInfo",
    "MethodNotAllowedError",
    "MethodNotImplementedError",
    "NoContent",
    "NotFoundError",
    "NotModified",
    "PartialContent",
    "PreconditionFailedError",
    "Profile",
    "RedisGate",
    "RelatedInfo",
    "Resource",
    "ResourceClient",
    "RetryPolicy",
    "Row",
    "SearchResult",
    "ServerError",
    "ServiceUnavailableError",
    "Session",
    "SessionClient",
    "SessionClientError",
    "SessionConstants",
    "SessionRef",
    "SessionSummary",
    "StatusError",
    "SystemProperties",
    "Target",
    "Task",
    "TaskError",
    "TaskFailedError",
    "TaskTimeoutError",
    "ThrottleMode",
    "TokenAuth",
    "TokenProvider",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "XBLToken",
    "__version__",
    "xbl3_authorization",
]
