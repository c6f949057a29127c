"""sessionclient: a typed client for multiplayer session directories (Xbox Live MPSD).

```python
import sessionclient as sc

ref = sc.SessionRef(scid, "lobby", "game-1")
with sc.SessionClient(auth=sc.XBLToken(userhash, token)) as client:
    session = client.put(ref, {"properties": {"custom": {"map": "harbor"}}})
```
"""

import logging

from ._async import AsyncResourceClient, AsyncSessionClient, AsyncTask
from ._auth import TokenAuth, TokenProvider, XBLToken, xbl3_authorization
from ._changes import (
    CAPABILITIES,
    MemberInitialization,
    PeerToHostRequirements,
    PeerToPeerRequirements,
    Timeouts,
    merge_changes,
    my_member,
    reserve,
    session_constants,
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
from ._flows import CONTRACT_VERSION, DEFAULT_BASE_URL
from ._models import (
    CHANGE_TYPES,
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
from ._retry import RetryPolicy, ThrottleMode
from ._sync import ResourceClient, SessionClient, Task
from ._version import __version__
from ._views import (
    Activity,
    Handle,
    Initializing,
    Member,
    MembersInfo,
    RelatedInfo,
    Role,
    RoleType,
    SearchResult,
    SessionConstants,
    SessionSummary,
    SystemProperties,
)
from ._watch import Change, WatchError

# A library logs, the application shows: without a handler of the application's, Python
# would print the gate's warnings on stderr (logging's "last resort").
logging.getLogger("sessionclient").addHandler(logging.NullHandler())

# The house, bottom floor first. A module imports from its own floor or the ones below,
# never from above, and no imports go round in a circle (tests/test_structure.py).
_LAYERS = (
    # facts: values, tables and the transport's sockets, no SDK logic
    ("_version", "_etag", "_ref", "_http", "_profiles", "_auth", "_transport",
     "_explain_services", "_explain"),
    # what a call returns or raises
    ("_exceptions", "_views", "_models", "_redact"),
    # how long to wait: the retry policy and the cool-down gate with its backends
    ("_retry", "_gate", "_backend", "_redis"),
    # one request: its plan and the interpretation of its reply; who watches it
    ("_core", "_observe"),
    # the one loop, without I/O
    ("_engine",),
    # the operations, each written once, and what every client is built from
    ("_flows", "_directory", "_changes", "_resource", "_base", "_watch"),
    # the two drivers: the only I/O (_sync is generated from _async)
    ("_async", "_sync"),
    # what uses the clients: the package's face, the command line, the emulator
    ("__init__", "testing", "_cli_base", "_cli_directory", "_cli", "__main__", "emulator"),
)  # fmt: skip

__all__ = [
    "ANY",
    "CAPABILITIES",
    "CHANGE_TYPES",
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
    "Change",
    "ClientError",
    "ConflictError",
    "Created",
    "ETag",
    "Element",
    "ForbiddenError",
    "GatewayTimeoutError",
    "Handle",
    "Initializing",
    "InternalServerError",
    "Kind",
    "MalformedResponseError",
    "Media",
    "Member",
    "MemberInitialization",
    "MembersInfo",
    "MethodNotAllowedError",
    "MethodNotImplementedError",
    "NoContent",
    "NotFoundError",
    "NotModified",
    "PartialContent",
    "PeerToHostRequirements",
    "PeerToPeerRequirements",
    "PreconditionFailedError",
    "Profile",
    "RedisGate",
    "RelatedInfo",
    "Resource",
    "ResourceClient",
    "RetryPolicy",
    "Role",
    "RoleType",
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
    "Timeouts",
    "TokenAuth",
    "TokenProvider",
    "TooManyRequestsError",
    "TransportError",
    "UnauthorizedError",
    "WatchError",
    "XBLToken",
    "__version__",
    "merge_changes",
    "my_member",
    "reserve",
    "session_constants",
    "xbl3_authorization",
]
