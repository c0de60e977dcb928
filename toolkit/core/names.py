"""The event sources and event names CloudTrail records, known offline from botocore's models.

CloudTrail's event source is the service's signing name, `<signingName>.amazonaws.com`
(`ecr.amazonaws.com`, `ses.amazonaws.com`, `monitoring.amazonaws.com`), not botocore's endpoint
prefix or host name (`api.ecr`, `email`); a model without a signing name signs with its endpoint
prefix. SOURCE_OF_SERVICE holds the few services CloudTrail names otherwise, and CURATED_SOURCES
the sources no botocore model has (console sign-in, the agents' message channels). A source's
event names are the API operations of every botocore service with that source, plus a curated
list of names that are not API calls (console sign-in, service events, a few console-only calls).
The index is built once per botocore version (a few seconds) and kept as JSON in the user's cache
directory, so lookups and shell completion load only the index.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cached_property
from pathlib import Path
from typing import Any

from toolkit import paths
from toolkit.errors import UsageError

INDEX_FORMAT = 4  # raise when the index content or CURATED changes
_READ_VERBS = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Lookup",
    "Search",
    "Scan",
    "Query",
    "Select",
    "View",
    "BatchGet",
    "Check",
    "Preview",
    "Estimate",
    "Validate",
    "Test",
    "Simulate",
    "Discover",
)
#: CloudTrail names of some APIs carry the API version (Lambda's UpdateFunctionCode20150331v2).
_VERSION_SUFFIX = re.compile(r"\d{8}(v\d+)?$")

_SUFFIX = ".amazonaws.com"

#: botocore services whose CloudTrail event source is not their signing name.
SOURCE_OF_SERVICE: dict[str, str] = {
    "sso": "sso.amazonaws.com",  # the access portal signs as awsssoportal; CloudTrail writes sso
}

#: Event sources CloudTrail writes that no botocore model signs as: title and other spellings.
CURATED_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "signin.amazonaws.com": ("AWS Sign-In (console sign-in)", ("console sign-in",)),
    "billingconsole.amazonaws.com": ("AWS Billing and Cost Management console", ("billing console",)),
    "ec2messages.amazonaws.com": ("Systems Manager agent message channel", ()),
    "ssmmessages.amazonaws.com": ("Systems Manager Session Manager message channel", ()),
    "macie.amazonaws.com": ("Amazon Macie Classic", ("macie classic",)),
    "sso-directory.amazonaws.com": ("IAM Identity Center directory", ("identity center directory",)),
}

#: Event names CloudTrail records that no botocore operation has, with what they mean.
CURATED: dict[str, dict[str, str]] = {
    "signin.amazonaws.com": {
        "ConsoleLogin": "A sign-in to the AWS Management Console (success or failure).",
        "CheckMfa": "The MFA check during a console sign-in.",
        "SwitchRole": "A console user switched to a role.",
        "ExitRole": "A console user left a switched role.",
        "RenewRole": "The console renewed a switched role's session.",
        "ConsoleLogout": "A sign-out from the console.",
        "PasswordUpdated": "A user changed their password at sign-in.",
        "CredentialChallenge": "A sign-in asked for a credential.",
        "CredentialVerification": "A sign-in verified a credential.",
        "UserAuthentication": "A sign-in authentication step.",
        "GetSigninToken": "A federated console sign-in token was issued.",
    },
    "bedrock.amazonaws.com": {
        "InvokeModel": "A model was run (recorded under bedrock, served by bedrock-runtime).",
        "InvokeModelWithResponseStream": "A model was run with a streamed response.",
        "Converse": "A conversation turn with a model.",
        "ConverseStream": "A streamed conversation turn with a model.",
        "PutFoundationModelEntitlement": "Access to a foundation model was requested (console).",
        "CreateFoundationModelAgreement": "A model's offer was accepted (console).",
        "PutUseCaseForModelAccess": "A use case for model access was submitted (console).",
        "GetFoundationModelAvailability": "A model's availability was checked (console).",
        "ListFoundationModelAgreementOffers": "A model's offers were listed (console).",
    },
    "kms.amazonaws.com": {
        "RotateKey": "AWS rotated a key's material (service event).",
        "DeleteExpiredKeyMaterial": "AWS deleted expired imported key material (service event).",
    },
    "cloudtrail.amazonaws.com": {
        "CreateServiceLinkedChannel": "A service created a service-linked channel (service event).",
    },
    "s3.amazonaws.com": {
        "JobStatusChanged": "An S3 Batch Operations job changed status (service event).",
        # CloudTrail names the bucket-level public access block calls differently from the API.
        "GetBucketPublicAccessBlock": "A bucket's public access block was read (API: GetPublicAccessBlock).",
        "PutBucketPublicAccessBlock": "A bucket's public access block was set (API: PutPublicAccessBlock).",
        "DeleteBucketPublicAccessBlock": "A bucket's public access block was removed (API: DeletePublicAccessBlock).",
    },
    "health.amazonaws.com": {"AWSHealthEvent": "An AWS Health event (service event)."},
    "ec2messages.amazonaws.com": {
        "GetMessages": "The SSM Agent polled for commands.",
        "AcknowledgeMessage": "The SSM Agent acknowledged a command.",
        "SendReply": "The SSM Agent replied with a command's result.",
        "FailMessage": "The SSM Agent reported a command it could not run.",
        "DeleteMessage": "The SSM Agent deleted a command message.",
        "GetEndpoint": "The SSM Agent asked for its message endpoint.",
        "SendHeartbeat": "The SSM Agent reported that it is alive.",
    },
    "ssmmessages.amazonaws.com": {
        "CreateControlChannel": "The SSM Agent opened a control channel (Session Manager).",
        "OpenControlChannel": "The SSM Agent connected its control channel (Session Manager).",
        "CreateDataChannel": "A Session Manager session opened a data channel.",
        "OpenDataChannel": "A Session Manager session connected its data channel.",
    },
    "billingconsole.amazonaws.com": {
        "GetContactInformation": "The account's contact information was read (console).",
        "GetAlternateContact": "An alternate contact was read (console).",
        "SetContactAddress": "The account's contact address was changed (console).",
    },
}


#: Services responders meet most; their sources come first in suggestions.
COMMON = (
    "iam",
    "sts",
    "signin",
    "ec2",
    "s3",
    "lambda",
    "kms",
    "cloudtrail",
    "ssm",
    "secretsmanager",
    "rds",
    "logs",
    "organizations",
    "guardduty",
    "config",
    "sso",
    "ecs",
    "eks",
    "dynamodb",
    "sns",
    "sqs",
)


def event_source_of(service: str, metadata: dict[str, Any]) -> str:
    """The event source CloudTrail writes for a botocore service, from its model's metadata."""
    if service in SOURCE_OF_SERVICE:
        return SOURCE_OF_SERVICE[service]
    signing = metadata.get("signingName") or metadata.get("endpointPrefix") or service
    return f"{str(signing).lower()}{_SUFFIX}"


def _rank(source: str) -> tuple[int, str]:
    prefix = source.removesuffix(_SUFFIX)
    return (COMMON.index(prefix) if prefix in COMMON else len(COMMON), source)


def _cache_dir() -> Path:
    return paths.cache_dir()


def base_name(event_name: str) -> str:
    """The API name behind a CloudTrail event name (version suffix removed)."""
    return _VERSION_SUFFIX.sub("", event_name)


def is_read(operation: str) -> bool:
    return operation.startswith(_READ_VERBS)


def _first_sentence(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html or "")
    text = re.sub(r"\s+", " ", text).strip()
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]  # whole: a terminal table cuts its cells


@dataclass
class Source:
    name: str  # e.g. ec2.amazonaws.com
    title: str  # e.g. Amazon Elastic Compute Cloud
    aliases: list[str]  # service names and abbreviations that mean this source
    events: dict[str, tuple[bool, str]]  # event name -> (read-only, one-line description)


#: The indexes this process built, by botocore version: a process that points XDG_CACHE_HOME at
#: another folder (a notebook, the tests) writes the index it built there instead of building it
#: again (about 5 s of CPU, parsing every botocore model).
_BUILT: dict[str, NameIndex] = {}


class NameIndex:
    """Event sources and their event names; `load()` reads the cache or builds it."""

    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources

    @cached_property
    def _by_event(self) -> dict[str, list[str]]:
        by_event: dict[str, list[str]] = {}
        for source in self.sources.values():
            for event in source.events:
                by_event.setdefault(event.lower(), []).append(source.name)
        return by_event

    @cached_property
    def _exact(self) -> dict[str, str]:
        """`ecr.amazonaws.com` and `ecr` → `ecr.amazonaws.com`: a source's own name, whole or short."""
        exact: dict[str, str] = {}
        for source in self.sources.values():
            exact[source.name.lower()] = source.name
            exact[source.name.lower().removesuffix(_SUFFIX)] = source.name
        return exact

    @cached_property
    def _aliases(self) -> dict[str, list[str]]:
        """Other spellings (service names, titles, endpoint prefixes and hosts) → the sources they mean."""
        aliases: dict[str, list[str]] = {}
        for source in sorted(self.sources.values(), key=lambda s: _rank(s.name)):
            for alias in [source.title, *source.aliases]:
                meant = aliases.setdefault(alias.lower(), [])
                if source.name not in meant:
                    meant.append(source.name)
        return aliases

    def _lookup(self, text: str) -> tuple[str | None, list[str]]:
        """The source a spelling names, and the other sources it could mean (most common first)."""
        key = text.strip().lower()
        candidates = self._aliases.get(key, [])
        chosen = self._exact.get(key) or (candidates[0] if candidates else None)
        return chosen, [c for c in candidates if c != chosen]

    # -- building and caching ---------------------------------------------------------------

    @staticmethod
    def botocore_version() -> str:
        import botocore

        return str(botocore.__version__)

    @classmethod
    def cache_path(cls) -> Path:
        return _cache_dir() / f"names-botocore-{cls.botocore_version()}-v{INDEX_FORMAT}.json"

    @classmethod
    def load(cls, on_build: Any = None) -> NameIndex:
        """The cached index for this botocore version, built (and cached) when missing."""
        path = cls.cache_path()
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError):
            pass
        version = cls.botocore_version()
        index = _BUILT.get(version)  # built by this process for another cache folder
        if index is None:
            if on_build:
                on_build()
            index = _BUILT[version] = cls.build()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(index.to_json()), encoding="utf-8")
            tmp.replace(path)  # never a half-written cache
        except OSError:
            pass  # a read-only home still gets names, only slower
        return index

    @classmethod
    def build(cls) -> NameIndex:
        import botocore.session

        session = botocore.session.get_session()
        sources: dict[str, Source] = {}
        for service in session.get_available_services():
            model = session.get_service_model(service)
            metadata = model.metadata
            name = event_source_of(service, metadata)
            title = metadata.get("serviceFullName", service)
            source = sources.setdefault(name, Source(name, title, [], {}))
            if service == name.removesuffix(_SUFFIX):
                source.title = title  # the service of the source's own name titles it (ses, not mailmanager)
            prefix = metadata.get("endpointPrefix")
            for alias in (
                service,
                metadata.get("serviceId"),
                metadata.get("serviceAbbreviation"),
                title,
                prefix,  # botocore's endpoint (api.ecr, email) is never an event source: an alias
                f"{prefix}{_SUFFIX}" if prefix else None,
            ):
                if alias and alias != name and alias not in source.aliases:
                    source.aliases.append(alias)
            for operation in model.operation_names:
                if operation not in source.events:
                    doc = _first_sentence(model.operation_model(operation).documentation)
                    source.events[operation] = (is_read(operation), doc)
        for name, (title, aliases) in CURATED_SOURCES.items():
            source = sources.setdefault(name, Source(name, title, [], {}))
            source.aliases.extend(a for a in aliases if a not in source.aliases)
        for name, events in CURATED.items():
            source = sources.setdefault(name, Source(name, name.split(".")[0], [], {}))
            for event, doc in events.items():
                source.events.setdefault(event, (is_read(event), doc))
        for source in sources.values():  # the source's title is an alias too; keep the list short
            source.aliases = [a for a in source.aliases if a != source.title]
        return cls(sources)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "botocore": self.botocore_version(),
            "sources": {
                s.name: {
                    "title": s.title,
                    "aliases": s.aliases,
                    "events": {e: list(v) for e, v in s.events.items()},
                }
                for s in self.sources.values()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NameIndex:
        if data.get("format") != INDEX_FORMAT or data.get("botocore") != cls.botocore_version():
            raise KeyError("stale index")
        return cls(
            {
                name: Source(
                    name, s["title"], s["aliases"], {e: (bool(v[0]), v[1]) for e, v in s["events"].items()}
                )
                for name, s in data["sources"].items()
            }
        )

    # -- lookups ------------------------------------------------------------------------------

    def resolve_source(self, text: str) -> str | None:
        """`ecr`, `ECR`, `ecr.amazonaws.com`, `Amazon Elastic Container Registry`, `api.ecr` →
        `ecr.amazonaws.com`, the name CloudTrail writes (None if unknown)."""
        return self._lookup(text)[0]

    def resolve_sources(self, texts: list[str]) -> tuple[list[str], list[str]]:
        """The event sources `--event-source` values mean, and a warning for each value that is
        unknown (kept as `<value>.amazonaws.com`) or could mean another source, with a "did you mean"."""
        resolved: list[str] = []
        warnings: list[str] = []
        for text in texts:
            chosen, others = self._lookup(text)
            if chosen is None:
                key = text.strip().lower()
                resolved.append(key if "." in key else f"{key}{_SUFFIX}")
                guess = self.suggest_source(text)
                hint = f"; did you mean {guess}?" if guess else "; see trailcsi names"
                warnings.append(f"--event-source {text}: not a known event source{hint}")
                continue
            resolved.append(chosen)
            if others:
                meant = ", ".join(f"{o} ({self.sources[o].title})" for o in others[:3])
                warnings.append(
                    f"--event-source {text} means {chosen} ({self.sources[chosen].title}); did you mean {meant}?"
                )
        return resolved, warnings

    def suggest_source(self, text: str) -> str | None:
        """The source whose name or alias is closest to `text`, for "did you mean"."""
        spellings = list(self._exact) + list(self._aliases)
        guesses = get_close_matches(text.strip().lower(), spellings, n=1, cutoff=0.6)
        return self._lookup(guesses[0])[0] if guesses else None

    def sources_of(self, event_name: str) -> list[str]:
        """The sources recording this event name, the most common services first."""
        return sorted(self._by_event.get(base_name(event_name).lower(), []), key=_rank)

    def suggest(self, event_name: str) -> tuple[str, list[str]] | None:
        """The closest known event name and the sources recording it, for "did you mean"."""
        guesses = get_close_matches(base_name(event_name).lower(), list(self._by_event), n=1, cutoff=0.75)
        if not guesses:
            return None
        sources = self.sources_of(guesses[0])
        spelled = next(e for e in self.sources[sources[0]].events if e.lower() == guesses[0])
        return spelled, sources

    def search(self, text: str) -> list[tuple[str, str]]:
        """(source, event name) pairs whose event name contains `text` (case-insensitive)."""
        needle = text.lower()
        return sorted((s.name, e) for s in self.sources.values() for e in s.events if needle in e.lower())

    def check(self, event_names: list[str], event_sources: list[str]) -> list[str]:
        """Warnings for names no service records, and for names outside the chosen sources."""
        warnings = []
        for name in event_names:
            sources = self.sources_of(name)
            if not sources:
                guess = self.suggest(name)
                hint = ""
                if guess:
                    shown = [s.removesuffix(".amazonaws.com") for s in guess[1][:3]]
                    more = ", ..." if len(guess[1]) > 3 else ""
                    hint = f"; did you mean {guess[0]} ({', '.join(shown)}{more})?"
                warnings.append(f"--event-name {name}: not an event name of any known service{hint}")
            elif event_sources and not set(sources) & set(event_sources):
                warnings.append(
                    f"--event-name {name} is recorded by {', '.join(sources)}, not by {', '.join(event_sources)}"
                )
        return warnings


def listing(
    index: NameIndex,
    service: str | None = None,
    search: str | None = None,
    counts: dict[tuple[str, str], int] | None = None,
    seen_only: bool = False,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """What `trailcsi names` shows: sources, or one service's (or a search's) event names.

    `counts` maps (event source, event name as CloudTrail wrote it) to occurrences in an
    archive; it adds an `events_in_archive` column, and `seen_only` keeps the rows that occur.
    """
    if service is None and search is None:
        columns = ["eventsource", "title", "event_names"]
        rows: list[tuple[Any, ...]] = [
            (s.name, s.title, len(s.events)) for s in sorted(index.sources.values(), key=lambda s: s.name)
        ]
        if counts is not None:
            per_source: dict[str, int] = {}
            for (event_source, _name), n in counts.items():
                per_source[event_source] = per_source.get(event_source, 0) + n
            columns.append("events_in_archive")
            rows = [(*row, per_source.get(row[0], 0)) for row in rows]
    else:
        wanted = index.resolve_source(service) if service is not None else None
        if service is not None and wanted is None:
            guess = index.suggest_source(service)
            raise UsageError(
                f"unknown service {service!r}", f"did you mean {guess!r}?" if guess else "see trailcsi names"
            )
        if search is not None:
            pairs = [p for p in index.search(search) if wanted is None or p[0] == wanted]
        else:
            pairs = [(wanted, e) for e in sorted(index.sources[wanted].events)] if wanted else []
        columns = ["eventsource", "eventname", "access", "description"]
        rows = [
            (src, e, "read" if index.sources[src].events[e][0] else "write", index.sources[src].events[e][1])
            for src, e in pairs
        ]
        if counts is not None:
            by_api: dict[tuple[str, str], int] = {}
            for (
                event_source,
                name,
            ), n in counts.items():  # Lambda's UpdateFunctionCode20150331v2 counts as its API
                key = (event_source, base_name(name))
                by_api[key] = by_api.get(key, 0) + n
            columns.append("events_in_archive")
            rows = [(*row, by_api.get((row[0], row[1]), 0)) for row in rows]
    if counts is not None and seen_only:
        rows = [row for row in rows if row[-1]]
    return columns, rows
