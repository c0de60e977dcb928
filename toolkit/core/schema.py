"""The `trail` relation: CloudTrail columns as AWS's Athena CloudTrail table documents them.

One definition serves every engine: the Athena DDL type, the DuckDB JSON-reader type (keyed by
CloudTrail's camelCase JSON keys) and the DuckDB expression that exposes a field under its
lowercase Athena name. JSON-valued fields (`requestparameters`, ...) are JSON text, as on Athena.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches


@dataclass(frozen=True)
class Field:
    """One column or struct member: `name` is the Athena (lowercase) name, `key` the JSON key.

    `kind` is "string" (a scalar kept as text), "json" (any JSON value kept as JSON text),
    "map" (an object of strings), "struct" (with `fields`) or "array" (of a struct, `fields`).
    """

    name: str
    key: str
    kind: str = "string"
    fields: tuple[Field, ...] = ()

    def athena_type(self) -> str:
        if self.kind in ("string", "json"):
            return "STRING"
        if self.kind == "map":
            return "MAP<STRING,STRING>"
        members = ", ".join(f"{f.name}: {f.athena_type()}" for f in self.fields)
        struct = f"STRUCT<{members}>"
        return f"ARRAY<{struct}>" if self.kind == "array" else struct

    def duckdb_read_type(self) -> str:
        """The type handed to DuckDB's JSON reader; struct members use the JSON keys."""
        if self.kind == "string":
            return "VARCHAR"
        if self.kind == "json":
            return "JSON"
        if self.kind == "map":
            return "MAP(VARCHAR, VARCHAR)"
        members = ", ".join(f"{quote_identifier(f.key)} {f.duckdb_read_type()}" for f in self.fields)
        struct = f"STRUCT({members})"
        return f"{struct}[]" if self.kind == "array" else struct

    def duckdb_type(self) -> str:
        """The DuckDB type of the exposed (Athena-shaped) value."""
        if self.kind in ("string", "json"):
            return "VARCHAR"
        if self.kind == "map":
            return "MAP(VARCHAR, VARCHAR)"
        members = ", ".join(f"{quote_identifier(f.name)} {f.duckdb_type()}" for f in self.fields)
        return f"STRUCT({members})[]" if self.kind == "array" else f"STRUCT({members})"

    def duckdb_expose(self, source: str) -> str:
        """A DuckDB expression turning the value read at `source` into the Athena shape.

        Struct members are renamed to their lowercase names (DuckDB keeps the JSON keys'
        spelling otherwise); a JSON string value is unquoted, as Athena's JSON SerDe returns it.
        """
        if self.kind in ("string", "map"):
            return source
        if self.kind == "json":
            return (
                f"CASE WHEN json_type({source}) = 'VARCHAR' THEN {source} ->> '$' "
                f"ELSE CAST({source} AS VARCHAR) END"
            )
        if self.kind == "array":  # a null item stays NULL (not a row of NULLs)
            element = _struct_pack(self.fields, "x")
            return f"list_transform({source}, lambda x: CASE WHEN x IS NULL THEN NULL ELSE {element} END)"
        return f"CASE WHEN {source} IS NULL THEN NULL ELSE {_struct_pack(self.fields, source)} END"


def _struct_pack(fields: tuple[Field, ...], source: str) -> str:
    members = ", ".join(
        f"{quote_identifier(f.name)} := {f.duckdb_expose(source + '.' + quote_identifier(f.key))}"
        for f in fields
    )
    return f"struct_pack({members})"


def members(field: Field) -> list[Field]:
    """A struct's or array's members, the members of its struct members included, in order."""
    found = []
    for member in field.fields:
        found.append(member)
        if member.kind == "struct":
            found += members(member)
    return found


def quote_identifier(name: str) -> str:
    """A DuckDB identifier for a JSON key or column name, quoted so any spelling is safe."""
    return '"' + name.replace('"', '""') + '"'


def _s(name: str, key: str, kind: str = "string", *fields: Field) -> Field:
    return Field(name, key, kind, tuple(fields))


_SESSION_ISSUER = _s(
    "sessionissuer",
    "sessionIssuer",
    "struct",
    _s("type", "type"),
    _s("principalid", "principalId"),
    _s("arn", "arn"),
    _s("accountid", "accountId"),
    _s("username", "userName"),
)

USER_IDENTITY = _s(
    "useridentity",
    "userIdentity",
    "struct",
    _s("type", "type"),
    _s("principalid", "principalId"),
    _s("arn", "arn"),
    _s("accountid", "accountId"),
    _s("invokedby", "invokedBy"),
    _s("accesskeyid", "accessKeyId"),
    _s("username", "userName"),
    _s(
        "onbehalfof",
        "onBehalfOf",
        "struct",
        _s("userid", "userId"),
        _s("identitystorearn", "identityStoreArn"),
    ),
    _s(
        "sessioncontext",
        "sessionContext",
        "struct",
        _s(
            "attributes",
            "attributes",
            "struct",
            _s("mfaauthenticated", "mfaAuthenticated"),
            _s("creationdate", "creationDate"),
        ),
        _SESSION_ISSUER,
        _s("ec2roledelivery", "ec2RoleDelivery"),
        _s(
            "webidfederationdata",
            "webIdFederationData",
            "struct",
            _s("federatedprovider", "federatedProvider"),
            _s("attributes", "attributes", "map"),
        ),
    ),
)

#: The event columns, in the order of AWS's documented Athena CloudTrail table.
EVENT_COLUMNS: tuple[Field, ...] = (
    _s("eventversion", "eventVersion"),
    USER_IDENTITY,
    _s("eventtime", "eventTime"),
    _s("eventsource", "eventSource"),
    _s("eventname", "eventName"),
    _s("awsregion", "awsRegion"),
    _s("sourceipaddress", "sourceIPAddress"),
    _s("useragent", "userAgent"),
    _s("errorcode", "errorCode"),
    _s("errormessage", "errorMessage"),
    _s("requestparameters", "requestParameters", "json"),
    _s("responseelements", "responseElements", "json"),
    _s("additionaleventdata", "additionalEventData", "json"),
    _s("requestid", "requestID"),
    _s("eventid", "eventID"),
    _s("readonly", "readOnly"),
    _s(
        "resources",
        "resources",
        "array",
        _s("arn", "ARN"),
        _s("accountid", "accountId"),
        _s("type", "type"),
    ),
    _s("eventtype", "eventType"),
    _s("apiversion", "apiVersion"),
    _s("recipientaccountid", "recipientAccountId"),
    _s("serviceeventdetails", "serviceEventDetails", "json"),
    _s("sharedeventid", "sharedEventID"),
    _s("vpcendpointid", "vpcEndpointId"),
    _s("vpcendpointaccountid", "vpcEndpointAccountId"),
    _s("eventcategory", "eventCategory"),
    _s(
        "addendum",
        "addendum",
        "struct",
        _s("reason", "reason"),
        _s("updatedfields", "updatedFields"),
        _s("originalrequestid", "originalRequestId"),
        _s("originaleventid", "originalEventId"),
    ),
    _s("sessioncredentialfromconsole", "sessionCredentialFromConsole"),
    _s("edgedevicedetails", "edgeDeviceDetails", "json"),
    _s(
        "tlsdetails",
        "tlsDetails",
        "struct",
        _s("tlsversion", "tlsVersion"),
        _s("ciphersuite", "cipherSuite"),
        _s("clientprovidedhostheader", "clientProvidedHostHeader"),
    ),
)

#: Partition columns, taken from a log file's path: account id, region, day as yyyy/MM/dd.
PARTITION_COLUMNS: tuple[str, ...] = ("account", "region", "day")

EVENT_COLUMN_NAMES: tuple[str, ...] = tuple(f.name for f in EVENT_COLUMNS)
COLUMN_NAMES: tuple[str, ...] = EVENT_COLUMN_NAMES + PARTITION_COLUMNS
BY_NAME: dict[str, Field] = {f.name: f for f in EVENT_COLUMNS}

#: Columns whose values are JSON text; JSON output renders them as structure.
JSON_TEXT_COLUMNS: frozenset[str] = frozenset(f.name for f in EVENT_COLUMNS if f.kind == "json")


def suggest(name: str, candidates: tuple[str, ...] | list[str] = COLUMN_NAMES) -> str | None:
    """The closest known name to `name`, for "did you mean" hints."""
    matches = get_close_matches(name.lower(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def column_paths() -> list[str]:
    """Every column and every path into a struct column (`useridentity.sessioncontext.sessionissuer.arn`)."""
    paths: list[str] = list(PARTITION_COLUMNS)

    def walk(field: Field, prefix: str) -> None:
        paths.append(prefix + field.name)
        if field.kind == "struct":
            for member in field.fields:
                walk(member, f"{prefix}{field.name}.")

    for field in EVENT_COLUMNS:
        walk(field, "")
    return paths


def suggest_path(path: str, extra: tuple[str, ...] | list[str] = ()) -> str | None:
    """The closest known column path to `path` (a misspelt field of a nested column included)."""
    return suggest(path, [*column_paths(), *extra])


def resolve_path(path: str) -> str:
    """Check a column path such as `eventname` or `useridentity.sessioncontext.sessionissuer.arn`.

    Returns the path lowercased; raises `KeyError` naming the first unknown segment.
    """
    parts = path.strip().lower().split(".")
    head = parts[0]
    if head in PARTITION_COLUMNS and len(parts) == 1:
        return head
    if head not in BY_NAME:
        raise KeyError(head)
    field = BY_NAME[head]
    for part in parts[1:]:
        if field.kind != "struct":
            raise KeyError(part)
        members = {f.name: f for f in field.fields}
        if part not in members:
            raise KeyError(part)
        field = members[part]
    return ".".join(parts)
