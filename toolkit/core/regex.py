"""Trino's regular expressions (joni, in Java's syntax) as RE2 patterns for DuckDB.

`translate` reads a pattern literal as Trino does and writes the RE2 pattern that matches alike,
or refuses (a UsageError) what RE2 cannot match alike: lookaround, back-references, possessive
quantifiers, atomic groups, POSIX bracket classes, class intersections, `\\b` (a word boundary
counts letters other than ASCII in joni), flags other than `i` and `s`. What differs and is
rewritten: `\\s` also matches the vertical tab in joni; `$` and `\\Z` match at the end and before
a final newline (RE2's `$` only at the end); `(?<name>...)` is RE2's `(?P<name>...)`; `\\uHHHH`;
`\\Q...\\E`; a `{` that opens no repetition is a literal. `replacement` reads regexp_replace's
replacement as Trino does (`$1`, `${name}`, `\\$`) and writes RE2's (`\\1`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from toolkit.errors import UsageError

#: RE2 refuses a repetition count above 1000.
MAX_REPEAT = 1000
#: What `\s` matches in joni (Java's `[ \t\n\x0B\f\r]`; RE2's `\s` leaves out the vertical tab).
_SPACE = r"\t\n\x0B\f\r "
#: Escapes that mean the same in both (outside and inside a class).
_SAME_ESCAPES = frozenset("dDwWtnrfa")
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_HINT = "rewrite it without that construct, or run the query on Athena"
#: What to write for `\b` (RE2's word boundary is ASCII's; joni's takes other letters too).
_WORD_BOUNDARY_HINT = (
    "for a boundary of ASCII words write (^|[^A-Za-z0-9_])word([^A-Za-z0-9_]|$), or run the query on Athena"
)
#: Unicode properties both read alike: general categories and common scripts (joni also reads
#: POSIX-like names, `\p{Alpha}`, which RE2 does not know).
_PROPERTIES = frozenset(
    "C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs "
    "Arabic Armenian Bengali Cyrillic Devanagari Georgian Greek Han Hangul Hebrew Hiragana Katakana "
    "Latin Thai".split()
)


@dataclass
class Pattern:
    """A Trino pattern as RE2 reads it: `at_end` with `$` as `\\z` (exact where the subject does
    not end with a newline), `tail` with `$` as `\\n?\\z` (exact for a match's yes or no where
    `ends_at_tail`: nothing follows a `$` in a match)."""

    at_end: str
    tail: str
    #: The pattern holds `$` or `\Z`: it matches before a final newline in Trino.
    ends: bool = False
    #: Every `$` and `\Z` ends the pattern (only `)` and other alternatives follow it).
    ends_at_tail: bool = True
    groups: int = 0
    names: dict[str, int] = field(default_factory=dict)


def _refuse(pattern: str, what: str, hint: str = _HINT) -> UsageError:
    return UsageError(
        f"the regular expression '{pattern}' uses {what}, which Athena's regular expressions (joni) "
        "and the local engine's (RE2) do not read alike",
        hint,
    )


def _literal(char: str) -> str:
    """One character as an RE2 literal."""
    return "\\" + char if char in _META else char


_META = frozenset("\\.+*?()|[]{}^$-")


class _Reader:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0
        self.end: list[str] = []  # the pattern with `$` as `\z`
        self.tail: list[str] = []  # the same with `$` as `\n?\z`
        self.result = Pattern("", "")
        #: What each piece written is, for the tail check: `$`, `(`, `)`, `|`, `q` (a quantifier)
        #: or `x` (anything else).
        self.tokens: list[str] = []

    def emit(self, both: str, tail: str | None = None, token: str = "x") -> None:
        self.end.append(both)
        self.tail.append(both if tail is None else tail)
        self.tokens.append(token)

    def refuse(self, what: str, hint: str = _HINT) -> UsageError:
        return _refuse(self.text, what, hint)

    def read(self) -> Pattern:
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            self.at += 1
            if char == "\\":
                self.escape()
            elif char == "[":
                self.emit(self.char_class())
            elif char == "(":
                self.group()
            elif char == ")":
                self.emit(")", token=")")
            elif char == "|":
                self.emit("|", token="|")
            elif char == "$":
                self.anchor_at_end()
            elif char in "*+?":
                self.emit(char + self.quantifier_suffix(), token="q")
            elif char == "{":
                match = _REPEAT.match(text, self.at - 1)
                if match is None:
                    self.emit("\\{")
                    continue
                if any(int(count) > MAX_REPEAT for count in (match.group(1), match.group(3)) if count):
                    raise self.refuse(f"a repetition above {MAX_REPEAT}")
                self.at = match.end()
                self.emit(match.group(0) + self.quantifier_suffix(), token="q")
            elif char == "}":
                self.emit("\\}")
            elif char in "^.":
                self.emit(char)
            else:
                self.emit(char)
        self.result.at_end = "".join(self.end)
        self.result.tail = "".join(self.tail)
        self.result.ends_at_tail = self.anchors_at_tail()
        return self.result

    def quantifier_suffix(self) -> str:
        if self.at < len(self.text) and self.text[self.at] == "+":
            raise self.refuse("a possessive quantifier")
        if self.at < len(self.text) and self.text[self.at] == "?":
            self.at += 1
            return "?"
        return ""

    def anchor_at_end(self) -> None:
        self.result.ends = True
        self.emit("\\z", "(?:\\n?\\z)", token="$")

    def escape(self) -> None:
        if self.at >= len(self.text):
            raise self.refuse("a trailing backslash")
        char = self.text[self.at]
        self.at += 1
        if char in _SAME_ESCAPES:
            self.emit("\\" + char)
        elif char == "s":
            self.emit(f"[{_SPACE}]")
        elif char == "S":
            self.emit(f"[^{_SPACE}]")
        elif char == "A" or char == "z":
            self.emit("\\" + char)
        elif char == "Z":
            self.anchor_at_end()
        elif char == "Q":
            close = self.text.find("\\E", self.at)
            quoted = self.text[self.at :] if close < 0 else self.text[self.at : close]
            self.at = len(self.text) if close < 0 else close + 2
            self.emit("".join(_literal(c) for c in quoted))
        else:
            self.emit(self.escape_value(char))

    def escape_value(self, char: str) -> str:
        """The RE2 text of an escape that means the same outside and inside a class."""
        if char in ("x", "u"):
            digits = 2 if char == "x" else 4
            value = self.text[self.at : self.at + digits]
            if len(value) != digits or not all(c in "0123456789abcdefABCDEF" for c in value):
                raise self.refuse(f"\\{char} not followed by {digits} hexadecimal digits")
            self.at += digits
            return f"\\x{{{value}}}"
        if char in ("p", "P"):
            match = re.compile(r"\{\^?[A-Za-z_]+\}|[A-Z]").match(self.text, self.at)
            if match is None:
                raise self.refuse(f"\\{char} not followed by a property name")
            self.at = match.end()
            if match.group(0).strip("{}") not in _PROPERTIES:  # (joni refuses `{^L}`)
                raise self.refuse(f"the property class \\{char}{match.group(0)}")
            return f"\\{char}{match.group(0)}"
        if char in "bB":
            raise self.refuse(f"the escape \\{char}", _WORD_BOUNDARY_HINT)
        if char.isalnum() or not char.isascii():
            raise self.refuse(f"the escape \\{char}")
        return "\\" + char

    def char_class(self) -> str:
        text = self.text
        out = ["["]
        if self.at < len(text) and text[self.at] == "^":
            out.append("^")
            self.at += 1
        if self.at < len(text) and text[self.at] == "]":
            raise self.refuse("a class whose first character is ]")
        while self.at < len(text):
            char = text[self.at]
            self.at += 1
            if char == "]":
                out.append("]")
                return "".join(out)
            if char == "[":
                raise self.refuse("a class within a class (or a POSIX class such as [:alpha:])")
            if char == "&" and text.startswith("&", self.at):
                raise self.refuse("a class intersection (&&)")
            if char == "\\":
                if self.at >= len(text):
                    break
                escaped = text[self.at]
                self.at += 1
                if escaped in _SAME_ESCAPES:
                    out.append("\\" + escaped)
                elif escaped == "s":
                    out.append(_SPACE)
                elif escaped == "Q":
                    raise self.refuse("\\Q within a class")
                else:
                    out.append(self.escape_value(escaped))
            else:
                out.append(char)
        raise self.refuse("a class that is not closed")

    def group(self) -> None:
        text = self.text
        if not text.startswith("?", self.at):
            self.result.groups += 1
            self.emit("(", token="(")
            return
        self.at += 1
        if text.startswith(":", self.at):
            self.at += 1
            self.emit("(?:", token="(")
            return
        named = re.compile(r"<([A-Za-z][A-Za-z0-9]*)>").match(text, self.at)
        if named:
            self.at = named.end()
            if named.group(1) in self.result.names:  # (Trino's error; RE2 refuses it otherwise)
                raise UsageError(f"multiplex defined name <{named.group(1)}>")
            self.result.groups += 1
            self.result.names[named.group(1)] = self.result.groups
            self.emit(f"(?P<{named.group(1)}>", token="(")
            return
        flags = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])").match(text, self.at)
        if flags is None:
            raise self.refuse("a lookaround, atomic group or other special group")
        if set(flags.group(1) + (flags.group(2) or "")) - set("is"):
            raise self.refuse("a flag other than i and s")
        self.at = flags.end()
        spelt = flags.group(1) + (f"-{flags.group(2)}" if flags.group(2) else "")
        if flags.group(3) == ":":
            self.emit(f"(?{spelt}:", token="(")
        elif spelt.strip("-"):
            self.emit(f"(?{spelt})")

    def anchors_at_tail(self) -> bool:
        """Whether only `)` and other alternatives follow each `$` (nothing it could consume)."""
        tail = _at_tail(self.tokens)
        return all(tail[at + 1] for at, token in enumerate(self.tokens) if token == "$")


def _at_tail(tokens: list[str]) -> list[bool]:
    """For each position (and the end), whether only `)` (unquantified) and other alternatives
    follow it: from the end back, in one pass (a pattern of many `$|` took quadratic time)."""
    count = len(tokens)
    closing = [count] * count  # the `)` that closes the group each token is in (or the end)
    opened: list[int] = []
    for at in range(count - 1, -1, -1):
        closing[at] = opened[-1] if opened else count
        if tokens[at] == ")":
            opened.append(at)
        elif tokens[at] == "(" and opened:
            opened.pop()
    tail = [False] * count + [True]
    for at in range(count - 1, -1, -1):
        token = tokens[at]
        if token == ")":
            tail[at] = not (at + 1 < count and tokens[at + 1] == "q") and tail[at + 1]
        elif token == "|":  # the rest of this alternation: on from its group's end
            tail[at] = tail[closing[at]]
    return tail


def translate(pattern: str) -> Pattern:
    """The RE2 forms of a Trino pattern literal (a UsageError for what they cannot match alike)."""
    return _Reader(pattern).read()


def replacement(text: str, pattern: Pattern) -> str:
    """regexp_replace's replacement as Trino reads it (`$n`, `${name}`, `\\c` for c), in RE2's
    syntax (`\\n`, `\\\\`); Trino's error for what it refuses."""
    out: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        at += 1
        if char == "\\":
            if at >= len(text):
                raise UsageError(f"Illegal replacement sequence: {text}")
            out.append("\\\\" if text[at] == "\\" else text[at])
            at += 1
        elif char == "$":
            if at >= len(text):
                raise UsageError(f"Illegal replacement sequence: {text}")
            if text[at] == "{":
                close = text.find("}", at)
                name = text[at + 1 : close if close >= 0 else len(text)]
                if name not in pattern.names:
                    raise UsageError(f"Illegal replacement sequence: unknown group {{ {name} }}")
                group = pattern.names[name]
                at = close + 1 if close >= 0 else len(text)
            elif text[at].isdigit() and text[at].isascii():
                group = int(text[at])
                at += 1
                while at < len(text) and text[at].isdigit() and group * 10 + int(text[at]) <= pattern.groups:
                    group = group * 10 + int(text[at])
                    at += 1
                if group > pattern.groups:
                    raise UsageError(f"Illegal replacement sequence: unknown group {group}")
            else:
                raise UsageError(f"Illegal replacement sequence: {text}")
            if group > 9:
                raise UsageError(
                    f"regexp_replace's ${group}: the local engine refers to groups 0 to 9 only",
                    "run the query on Athena",
                )
            out.append(f"\\{group}")
        else:
            out.append(char)
    return "".join(out)
