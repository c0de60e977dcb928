"""Trino's regular expressions read into RE2's syntax (`toolkit.core.regex`): what is rewritten,
what is refused. Trino's answers to the same patterns: tests/trino_cases.py (checked on Trino by
the conformance tests)."""

from __future__ import annotations

import duckdb
import pytest

from toolkit.core import regex
from toolkit.errors import UsageError


@pytest.mark.parametrize(
    ("pattern", "at_end", "tail", "ends_at_tail"),
    [
        ("^a$", r"^a\z", r"^a(?:\n?\z)", True),
        (r"a\Z|b", r"a\z|b", r"a(?:\n?\z)|b", True),
        ("(a$|b)c", r"(a\z|b)c", r"(a(?:\n?\z)|b)c", False),
        ("(a|b$)", r"(a|b\z)", r"(a|b(?:\n?\z))", True),
        ("(a$)+", r"(a\z)+", r"(a(?:\n?\z))+", False),
        (r"b$\n?", r"b\z\n?", r"b(?:\n?\z)\n?", False),
        (r"\Aa\z", r"\Aa\z", r"\Aa\z", True),
    ],
)
def test_dollar_matches_before_a_final_newline_where_nothing_follows_it(pattern, at_end, tail, ends_at_tail):
    read = regex.translate(pattern)
    assert (read.at_end, read.tail, read.ends_at_tail) == (at_end, tail, ends_at_tail)
    assert read.ends == ("$" in pattern or r"\Z" in pattern)


@pytest.mark.parametrize(
    ("pattern", "re2"),
    [
        (r"\s+", r"[\t\n\x0B\f\r ]+"),
        (r"[^\s,]", r"[^\t\n\x0B\f\r ,]"),
        ("(?<name>a)(b)", "(?P<name>a)(b)"),
        (r"\Qa.b\E", r"a\.b"),
        (r"\u00e9", r"\x{00e9}"),
        ("a{,2}}", r"a\{,2\}\}"),
        ("a{2,3}?", "a{2,3}?"),
        ("(?i)x(?s:.)", "(?i)x(?s:.)"),
        (r"[\w.-]+@\d", r"[\w.-]+@\d"),
        (r"\p{L}\pN[\p{Lu}]\P{Greek}", r"\p{L}\pN[\p{Lu}]\P{Greek}"),
        # joni quantifies a quantified atom again; RE2 refuses it unless it is grouped
        ("a{2}{3}", "(?:a{2}){3}"),
        ("(ab)*{2}|c+*", "(?:(ab)*){2}|(?:c+)*"),
        (r"\x{1F600}[\x{61}-\x{7a}]", r"\x{1F600}[\x{61}-\x{7a}]"),
        # joni's \S in a class leaves out the vertical tab too
        (r"[^\S]", r"[\t\n\x0B\f\r ]"),
        (r"[a\S]", r"(?:[a]|[^\t\n\x0B\f\r ])"),
        # joni's (?i) does not fold a property class outside a class
        (r"(?i)\p{Lu}x", r"(?i)(?-i:\p{Lu})x"),
        (r"\Qab\E+", "ab+"),
    ],
)
def test_what_differs_in_spelling_is_rewritten(pattern, re2):
    assert regex.translate(pattern).at_end == re2
    duckdb.sql(f"SELECT regexp_matches('x', '{re2}')").fetchall()  # RE2 reads it


@pytest.mark.parametrize(
    ("pattern", "said"),
    [
        ("a(?=b)", "lookaround"),
        ("(?<!a)b", "lookaround"),
        ("(?>a)", "lookaround"),
        (r"(a)\1", r"the escape \1"),
        (r"a\b", r"the escape \b"),
        ("a++", "possessive"),
        ("[[:alpha:]]", "POSIX class"),
        ("[a-z&&[^x]]", "class intersection"),
        ("[a[b]]", "class within a class"),
        ("(?m)^a", "a flag other than i and s"),
        ("(?x) a", "a flag other than i and s"),
        ("x{1001}", "a repetition above 1000"),
        ("[]a]", "first character is ]"),
        ("[ab", "not closed"),
        (r"\p{Alpha}+", r"the property class \p{Alpha}"),  # RE2 does not know it (DuckDB's error)
        (r"[\P{Punct}]", r"the property class \P{Punct}"),
        (r"\p{^L}", r"the property class \p{^L}"),  # joni refuses it; RE2 reads a negation
        (r"\p{Lower}", r"the property class \p{Lower}"),  # Unicode's Lowercase, not \p{Ll}
        ("(?i)straße", "(?i) with ß"),  # joni matches it to ss
        (r"(?i)\x{FB01}", "(?i) with ﬁ"),
        (r"(?i)[\p{L}]", r"(?i) with \p in a class"),  # joni matches ss to it
        (r"[^a\S]", "\\S with other items in a negated class"),
        (r"\x{110000}", "hexadecimal code of a character"),
    ],
)
def test_what_re2_cannot_match_alike_is_refused(pattern, said):
    with pytest.raises(UsageError, match="do not read alike") as refused:
        regex.translate(pattern)
    assert said in refused.value.message
    assert f"'{pattern}'" in refused.value.message


@pytest.mark.parametrize(
    ("pattern", "written", "re2"),
    [
        ("(a)", "[$1]", r"[\1]"),
        ("(a)", "$11", r"\11"),
        ("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "$10", None),
        ("(?<x>a)", "${x}", r"\1"),
        ("a", r"\$\\x\y", r"$\\xy"),
        ("a", "$0", r"\0"),
    ],
)
def test_replacement_reads_dollar_groups_as_trino_does(pattern, written, re2):
    read = regex.translate(pattern)
    if re2 is None:
        with pytest.raises(UsageError, match="groups 0 to 9 only"):
            regex.replacement(written, read)
    else:
        assert regex.replacement(written, read) == re2


@pytest.mark.parametrize(
    ("pattern", "written", "error"),
    [
        ("a", "x$", "Illegal replacement sequence: x$"),
        ("a", "$a", "Illegal replacement sequence: $a"),
        ("a", "x\\", "Illegal replacement sequence: x\\"),
        ("(a)", "$2", "Illegal replacement sequence: unknown group 2"),
        ("(?<x>a)", "${y}", "Illegal replacement sequence: unknown group { y }"),
    ],
)
def test_replacement_refuses_what_trino_refuses(pattern, written, error):
    with pytest.raises(UsageError) as refused:
        regex.replacement(written, regex.translate(pattern))
    assert refused.value.message == error


def test_a_word_boundary_refused_says_what_to_write():
    with pytest.raises(UsageError) as refused:
        regex.translate(r"(?i)\bpython\b")
    assert refused.value.hint is not None and "(^|[^A-Za-z0-9_])word([^A-Za-z0-9_]|$)" in refused.value.hint


@pytest.mark.parametrize(
    ("pattern", "empty", "empty_after_match"),
    [
        ("b*", True, True),
        ("b+", False, False),
        ("x|", True, True),
        ("^", True, False),  # at the start only: no match before it
        ("^b*", True, False),
        ("$", True, False),  # nothing but empty text
        ("b|$", True, True),
        ("(b)?c", False, False),
        ("(?:a|b?)", True, True),
        ("a{0,2}", True, True),
        ("a{1,2}", False, False),
        ("(?i)", True, False),
    ],
)
def test_patterns_that_match_empty_text_are_told(pattern, empty, empty_after_match):
    read = regex.translate(pattern)
    assert (read.empty, read.empty_after_match) == (empty, empty_after_match)


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("(?i)access", f"[{regex.MULTI_FOLDS}]"),  # ss: Trino's (?i) matches ß to it
        ("(?i)boto3", ""),
        ("access", ""),
        ("(?i)в", regex.RE2_ONLY_FOLDS),  # RE2 also matches ᲀ, joni not
        ("(?i)[а-я]", regex.RE2_ONLY_FOLDS),
        ("[а-я]", ""),
    ],
)
def test_subjects_folded_otherwise_under_i_are_refused_when_the_query_runs(pattern, refused):
    assert regex.translate(pattern).subject_refused == refused
    if refused:
        duckdb.sql(f"SELECT regexp_matches('x', '{refused}')").fetchall()  # RE2 reads it
