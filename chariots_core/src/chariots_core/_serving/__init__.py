"""What both chariots servers stand on (private): see :class:`JsonApiServer`."""

from chariots_core._serving._api_server import DEFAULT_MAX_REQUEST_BYTES, JsonApiServer
from chariots_core._serving._bodies import (
    integer_arg,
    json_object_body,
    number_arg,
    read_body,
)
from chariots_core._serving._operations import (
    BYTES_TYPE,
    JSON_TYPE,
    NO_FIELDS,
    OBJECT,
    Operation,
)
from chariots_core._serving._tokens import (
    READONLY_TOKENS_ENV,
    TOKENS_ENV,
    Access,
    ApiTokens,
)

__all__ = [
    "BYTES_TYPE",
    "DEFAULT_MAX_REQUEST_BYTES",
    "JSON_TYPE",
    "NO_FIELDS",
    "OBJECT",
    "READONLY_TOKENS_ENV",
    "TOKENS_ENV",
    "Access",
    "ApiTokens",
    "JsonApiServer",
    "Operation",
    "integer_arg",
    "json_object_body",
    "number_arg",
    "read_body",
]
