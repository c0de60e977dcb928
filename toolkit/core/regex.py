"""Trino's regular expressions (joni, in Java's syntax) as RE2 patterns for DuckDB.

`translate` reads a pattern literal as Trino does and writes the RE2 pattern that matches alike,
or refuses (a UsageError) what RE2 cannot match alike: lookaround, back-references, possessive
quantifiers, atomic groups, POSIX bracket classes, class intersections, `\\b` (a word boundary
counts letters other than ASCII in joni), flags other than `i` and `s`. What differs and is
rewritten: `\\s` also matches the vertical tab in joni; `$` and `\\Z` match at the end and before
a final newline (RE2's `$` only at the end); `(?<name>...)` is RE2's `(?P<name>...)`; `\\uHHHH`;
`\\Q...\\E`; a `{` that opens no repetition is a literal; a quantifier of a quantified atom
(`a{2}{3}`) is grouped; `\\x{h...h}`; `\\S` in a class; `(?i)` leaves a property class outside a
class as it is. Under `(?i)`, a letter joni folds to two (`ß`) is refused, and `subject_refused`
tells the letters a subject may not hold (`ß` where the pattern holds `ss`, and RE2's case pairs
newer than joni's). `empty` and `empty_after_match` tell a pattern that can match empty text,
where Trino's regexp_split and regexp_replace iterate otherwise than DuckDB's. `replacement` reads
regexp_replace's replacement as Trino does (`$1`, `${name}`, `\\$`) and writes RE2's (`\\1`).
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
#: An escape in a class that may write a character other than ASCII.
_WIDE_ESCAPE = re.compile(r"\\x\{|\\u(?!00[0-7])|\\x[89a-fA-F]")
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


#: The characters whose case folding is two or three letters (`ß`, `ẞ` and `ss`, `ﬁ` and `fi`):
#: joni's `(?i)` matches one to the other, RE2's not (all such characters are in the BMP).
MULTI_FOLDS = "".join(c for c in map(chr, range(0xD800)) if len(c.casefold()) > 1) + "".join(
    c for c in map(chr, range(0xE000, 0x10000)) if len(c.casefold()) > 1
)
_FOLD_TARGETS = frozenset(c.casefold() for c in MULTI_FOLDS)
#: The letters RE2's `(?i)` matches to another letter and joni's not (case pairs Unicode added after
#: joni's tables: `ᲀ` and `в`, `ⱥ` and `Ⱥ`, Cherokee, Georgian Mtavruli...), as measured on Trino 476
#: for every pair of letters Python's Unicode data makes case partners.
_RE2_ONLY_FOLDS = (
    "00DF 0180 023A 023E-0252 025C 0261 0265-0266 026A-026C 0271 027D 0282 0287 0289 028C 029D-029E "
    "0370-0373 0376-0377 037B-037D 037F 03CF 03D7 03F3 03FD-03FF 0412 0414 041E 0421-0422 042A 0432 "
    "0434 043E 0441-0442 044A 0462-0463 04C0 04CF 04FA-04FF 0510-052F 10C7 10CD 10D0-10FA 10FD-10FF "
    "13A0-13F5 13F8-13FD 1C80-1C88 1C90-1CBA 1CBD-1CBF 1D79 1D7D 1D8E 1E9E 1EFA-1EFF 1F80-1FAF 2132 "
    "214E 2183-2184 2C2F 2C5F-2C70 2C72-2C73 2C75-2C76 2C7E-2C7F 2CEB-2CEE 2CF2-2CF3 2D27 2D2D "
    "A640-A66D A680-A69B A722-A72F A732-A76F A779-A787 A78B-A78D A790-A794 A796-A7AE A7B0-A7CA "
    "A7D0-A7D1 A7D6-A7D9 A7F5-A7F6 AB53 AB70-ABBF 104B0-104D3 104D8-104FB 10570-1057A 1057C-1058A "
    "1058C-10592 10594-10595 10597-105A1 105A3-105B1 105B3-105B9 105BB-105BC 10C80-10CB2 10CC0-10CF2 "
    "118A0-118DF 16E40-16E7F 1E900-1E943 "
)
_IN_RE2_ONLY_FOLDS = frozenset(
    code
    for span in _RE2_ONLY_FOLDS.split()
    for code in range(int(span.split("-")[0], 16), int(span.split("-")[-1], 16) + 1)
)
#: The same as an RE2 class.
RE2_ONLY_FOLDS = (
    "["
    + "".join("-".join(f"\\x{{{code}}}" for code in span.split("-")) for span in _RE2_ONLY_FOLDS.split())
    + "]"
)
#: What an atom of a pattern matches, as far as empty text goes: (empty somewhere, empty after the
#: start, some non-empty text).
_Atom = tuple[bool, bool, bool]
_CHAR: _Atom = (False, False, True)


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
    #: The pattern can match empty text somewhere after the start (`b*`, `x|`, `$`), and some
    #: non-empty text too: Trino takes an empty match right after a match, RE2's replace not.
    empty_after_match: bool = False
    #: The pattern can match empty text (`^`, `b*`): DuckDB's regexp split differs from Trino's there.
    empty: bool = False
    #: An RE2 class of the characters a subject may not hold (refused when the query runs), or '':
    #: under `(?i)`, those that fold to two letters where the pattern holds such letters (joni
    #: matches `ss` to `ß`, RE2 not), and RE2's own case partners where it holds a letter of them.
    subject_refused: str = ""


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
        #: Where the last atom written starts (None: none, as after `(` or `|`), and whether a
        #: quantifier follows it (joni reads `a{2}{3}` as `(?:a{2}){3}`, RE2 refuses it).
        self.atom_at: int | None = None
        self.quantified = False
        #: Whether the last atom ends with a lazy quantifier (`a+?`, `(?:a+?)`): joni reduces it
        #: quantified again to the lazy one (`a+?+` matches `a` of `aaa`), RE2 does not.
        self.lazy = False
        self.opened: list[int] = []  # where each open group starts
        #: For each open group (and the whole pattern): its alternatives' atoms so far, for what
        #: the pattern matches of empty text.
        self.frames: list[list[list[_Atom]]] = [[[]]]
        self.folds = False  # `(?i)` was seen
        #: Under `(?i)`: a letter RE2 matches to a case partner joni does not know, or a class
        #: holding a character other than ASCII (which may range over such letters).
        self.re2_folds = False

    def emit(self, both: str, tail: str | None = None, token: str = "x", atom: _Atom | None = _CHAR) -> None:
        if atom is not None:
            self.atom_at, self.quantified, self.lazy = len(self.end), False, False
            self.frames[-1][-1].append(atom)
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
                self.close_group()
            elif char == "|":
                self.emit("|", token="|", atom=None)
                self.atom_at = None
                self.frames[-1].append([])
            elif char == "$":
                self.anchor_at_end()
            elif char in "*+?":
                self.quantifier(char + self.quantifier_suffix(), char != "+")
            elif char == "{":
                match = _REPEAT.match(text, self.at - 1)
                if match is None:
                    self.emit("\\{")
                    continue
                if any(int(count) > MAX_REPEAT for count in (match.group(1), match.group(3)) if count):
                    raise self.refuse(f"a repetition above {MAX_REPEAT}")
                self.at = match.end()
                self.quantifier(match.group(0) + self.quantifier_suffix(), int(match.group(1)) == 0)
            elif char == "}":
                self.emit("\\}")
            elif char == "^":
                self.emit(char, atom=(True, False, False))
            else:
                self.emit(self.folded(char))
        self.result.at_end = "".join(self.end)
        self.result.tail = "".join(self.tail)
        self.result.ends_at_tail = self.anchors_at_tail()
        empty, after_start, consumes = _alternatives(self.frames[0])
        self.result.empty = empty
        self.result.empty_after_match = after_start and consumes
        refused = []
        if self.folds and any(target in text.casefold() for target in _FOLD_TARGETS):
            refused.append(f"[{MULTI_FOLDS}]")
        if self.re2_folds:
            refused.append(RE2_ONLY_FOLDS)
        self.result.subject_refused = "|".join(refused)
        return self.result

    def folded(self, char: str) -> str:
        """A literal character: refused under `(?i)` where joni folds it to two letters."""
        if self.folds and ord(char) in _IN_RE2_ONLY_FOLDS:
            self.re2_folds = True
        if self.folds and char in MULTI_FOLDS:
            raise self.refuse(
                f"(?i) with {char} (Athena's (?i) matches it to {char.casefold()}, the local engine's not)",
                f"write both, as ({char}|{char.casefold()}), without (?i), or run the query on Athena",
            )
        return char

    def quantifier(self, written: str, optional: bool) -> None:
        if self.lazy and self.atom_at is not None:
            raise self.refuse(
                "a quantifier of a lazily quantified atom (Athena reduces a+?+ and (?:a+?)+ to a+?)",
                "write the lazy quantifier alone (a+?), or run the query on Athena",
            )
        # (`a{2}?` takes two either way: joni answers as RE2 does)
        self.lazy = len(written) > 1 and written.endswith("?") and not re.fullmatch(r"\{\d+\}\?", written)
        if self.quantified and self.atom_at is not None:  # a quantifier of a quantified atom
            for pieces, piece in ((self.end, "(?:"), (self.tail, "(?:"), (self.tokens, "(")):
                pieces.insert(self.atom_at, piece)
            self.end.append(")")
            self.tail.append(")")
            self.tokens.append(")")
        self.end.append(written)
        self.tail.append(written)
        self.tokens.append("q")
        self.quantified = True
        atoms = self.frames[-1][-1]
        if optional and atoms:
            atoms[-1] = (True, True, atoms[-1][2])

    def quantifier_suffix(self) -> str:
        if self.at < len(self.text) and self.text[self.at] == "+":
            raise self.refuse("a possessive quantifier")
        if self.at < len(self.text) and self.text[self.at] == "?":
            self.at += 1
            return "?"
        return ""

    def anchor_at_end(self) -> None:
        self.result.ends = True
        self.emit("\\z", "(?:\\n?\\z)", token="$", atom=(True, True, False))

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
        elif char == "A":
            self.emit("\\A", atom=(True, False, False))
        elif char == "z":
            self.emit("\\z", atom=(True, True, False))
        elif char == "Z":
            self.anchor_at_end()
        elif char == "Q":
            close = self.text.find("\\E", self.at)
            quoted = self.text[self.at :] if close < 0 else self.text[self.at : close]
            self.at = len(self.text) if close < 0 else close + 2
            for quoted_char in quoted:
                self.emit(_literal(self.folded(quoted_char)))
        elif char in "pP":
            written = self.escape_value(char)
            # joni's (?i) leaves a property outside a class as it is (RE2's folds it: `(?i)\p{Lu}`)
            self.emit(f"(?-i:{written})" if self.folds else written)
        else:
            self.emit(self.escape_value(char))

    def escape_value(self, char: str) -> str:
        """The RE2 text of an escape that means the same outside and inside a class."""
        if char == "x" and self.text.startswith("{", self.at):
            braced = re.compile(r"\{([0-9a-fA-F]{1,8})\}").match(self.text, self.at)
            code = int(braced.group(1), 16) if braced else -1
            if braced is None or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise self.refuse("\\x{...} not holding the hexadecimal code of a character")
            self.at = braced.end()
            self.folded(chr(code))
            return f"\\x{{{braced.group(1)}}}"
        if char in ("x", "u"):
            digits = 2 if char == "x" else 4
            value = self.text[self.at : self.at + digits]
            if len(value) != digits or not all(c in "0123456789abcdefABCDEF" for c in value):
                raise self.refuse(f"\\{char} not followed by {digits} hexadecimal digits")
            self.at += digits
            self.folded(chr(int(value, 16)))
            return f"\\x{{{value}}}"
        if char in ("p", "P"):
            match = re.compile(r"\{\^?[A-Za-z_]+\}|[A-Z]").match(self.text, self.at)
            if match is None:
                raise self.refuse(f"\\{char} not followed by a property name")
            self.at = match.end()
            if match.group(0).strip("{}") not in _PROPERTIES:  # (joni refuses `{^L}`)
                raise self.refuse(
                    f"the property class \\{char}{match.group(0)}",
                    "write a general category such as \\p{Ll} or \\p{Lu}, or a class such as [a-z] "
                    "(joni's \\p{Lower} and \\p{Alpha} are Unicode's properties, which RE2 does not "
                    "know), or run the query on Athena",
                )
            return f"\\{char}{match.group(0)}"
        if char in "bB":
            raise self.refuse(f"the escape \\{char}", _WORD_BOUNDARY_HINT)
        if char.isalnum() or not char.isascii():
            raise self.refuse(f"the escape \\{char}")
        return "\\" + char

    def char_class(self) -> str:
        text = self.text
        negated = self.at < len(text) and text[self.at] == "^"
        if negated:
            self.at += 1
        if self.at < len(text) and text[self.at] == "]":
            raise self.refuse("a class whose first character is ]")
        out: list[str] = []
        not_space = False  # `\S` is among the items
        opened = self.at
        while self.at < len(text):
            char = text[self.at]
            self.at += 1
            if char == "]":
                written = text[opened : self.at]
                if self.folds and (not written.isascii() or _WIDE_ESCAPE.search(written)):
                    self.re2_folds = True  # (it may range over letters RE2 folds otherwise)
                return self.closed_class(negated, "".join(out), not_space)
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
                elif escaped == "S":
                    not_space = True
                elif escaped == "Q":
                    raise self.refuse("\\Q within a class")
                elif escaped in "pP" and self.folds:
                    raise self.refuse(
                        f"(?i) with \\{escaped} in a class (Athena's matches two letters, ss, to ß there)",
                        "write the property outside the class, or run the query on Athena",
                    )
                else:
                    out.append(self.escape_value(escaped))
            else:
                out.append(self.folded(char))
        raise self.refuse("a class that is not closed")

    def closed_class(self, negated: bool, items: str, not_space: bool) -> str:
        """A class in RE2's syntax; joni's `\\S` (no vertical tab) as a class of its own."""
        if not not_space:
            return f"[{'^' if negated else ''}{items}]"
        if negated and items:
            raise self.refuse(
                "\\S with other items in a negated class",
                "write the whitespace wanted as a class, such as [ \\t], or run the query on Athena",
            )
        if negated:  # `[^\S]`: a space
            return f"[{_SPACE}]"
        return f"(?:[{items}]|[^{_SPACE}])" if items else f"[^{_SPACE}]"

    def group(self) -> None:
        text = self.text
        if not text.startswith("?", self.at):
            self.result.groups += 1
            self.open("(")
            return
        self.at += 1
        if text.startswith(":", self.at):
            self.at += 1
            self.open("(?:")
            return
        named = re.compile(r"<([A-Za-z][A-Za-z0-9]*)>").match(text, self.at)
        if named:
            self.at = named.end()
            if named.group(1) in self.result.names:  # (Trino's error; RE2 refuses it otherwise)
                raise UsageError(f"multiplex defined name <{named.group(1)}>")
            self.result.groups += 1
            self.result.names[named.group(1)] = self.result.groups
            self.open(f"(?P<{named.group(1)}>")
            return
        flags = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])").match(text, self.at)
        if flags is None:
            raise self.refuse("a lookaround, atomic group or other special group")
        if set(flags.group(1) + (flags.group(2) or "")) - set("is"):
            raise self.refuse("a flag other than i and s")
        self.at = flags.end()
        self.folds = self.folds or "i" in flags.group(1)
        spelt = flags.group(1) + (f"-{flags.group(2)}" if flags.group(2) else "")
        if flags.group(3) == ":":
            self.open(f"(?{spelt}:")
        elif spelt.strip("-"):
            self.emit(f"(?{spelt})", atom=None)
            self.atom_at = None

    def open(self, written: str) -> None:
        self.opened.append(len(self.end))
        self.emit(written, token="(", atom=None)
        self.atom_at = None
        self.frames.append([[]])

    def close_group(self) -> None:
        if not self.opened:  # (RE2 refuses it, as joni does)
            self.emit(")", token=")", atom=None)
            return
        start = self.opened.pop()
        atom = _alternatives(self.frames.pop())
        ends_lazy = self.lazy and self.tokens[-1] == "q"
        self.emit(")", token=")", atom=atom)
        self.atom_at, self.lazy = start, ends_lazy

    def anchors_at_tail(self) -> bool:
        """Whether only `)` and other alternatives follow each `$` (nothing it could consume)."""
        tail = _at_tail(self.tokens)
        return all(tail[at + 1] for at, token in enumerate(self.tokens) if token == "$")


def _alternatives(alternatives: list[list[_Atom]]) -> _Atom:
    """What a group (or the pattern) of these alternatives matches of empty text."""
    sequences = [
        (all(a[0] for a in atoms), all(a[1] for a in atoms), any(a[2] for a in atoms))
        for atoms in alternatives
    ]
    return (any(s[0] for s in sequences), any(s[1] for s in sequences), any(s[2] for s in sequences))


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
