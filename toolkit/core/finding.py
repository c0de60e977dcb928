"""A finding: one row of a detection, with the template that made it and its severity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The columns every detection returns (checked when it runs); the others are its details.
FINDING_COLUMNS = ("eventid", "eventtime", "principal", "sourceipaddress", "eventname")


@dataclass
class Finding:
    template: str
    severity: str
    record: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "severity": self.severity, **self.record}

    def details(self) -> dict[str, Any]:
        return {k: v for k, v in self.record.items() if k not in FINDING_COLUMNS}
