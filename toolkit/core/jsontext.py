"""Trino's JSON text on DuckDB: numbers as Trino writes them, object keys sorted by json_parse.

Trino reads JSON with Jackson: json_extract_scalar gives a number's token as written (`1.50`,
`1e3`); json_parse, json_extract and json_format write numbers as Java does (an integer's digits,
`0` for `-0`, a double as `Double.toString`: `1.5`, `1.0E-7`, `1.0E20`), and json_parse sorts an
object's keys (nested objects too; arrays keep their order). DuckDB parses numbers into doubles
and writes them its own way (`1e-7`, `100000000000000000000.0`), keeping keys in order. The macros
here give Trino's text, or refuse where they cannot (`REFUSALS`).

CAST(x AS JSON) sorts a map's keys (`trino_to_json`). Jackson reads text up to its first error:
where that is the first token, Trino's JSON functions give NULL (`trino_json_read`); DuckDB's
reader also takes trailing commas, NaN and Infinity (`trino_json_strict`). json_array_contains
matches an item's token (`trino_json_array_contains`: 1.0 is no bigint).

Depth: Trino's JSON writer (Jackson's StreamWriteConstraints, 1000 levels) fails json_extract of a
value nesting deeper (`trino_json_written`); json_parse answers some thousands deep, then fails on
a stack overflow. The local json_parse walks the JSON with memory square in its depth (3 GB at
6000), so text nesting deeper than `MOST_DEPTH` is refused before the walk (`trino_json_deeper`).
"""

from __future__ import annotations

import re

#: A JSON number token where a value starts (after `[`, `:` or `,`, or at the start): one group.
NUMBER_TOKEN = r"(?:^|[\[:,])\s*(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
#: Characters Trino's JSON writer escapes and DuckDB's does not (beyond U+FFFF, DEL).
ESCAPED_BY_TRINO = r"[\x{10000}-\x{10FFFF}\x{7F}]"
#: How deep Trino's JSON writer nests (Jackson's StreamWriteConstraints.maxNestingDepth default),
#: and the deepest JSON the local json_parse walks.
MOST_DEPTH = 1000
#: Trino's error for json_extract of a value nesting deeper than MOST_DEPTH.
TOO_DEEP = (
    f"Document nesting depth ({MOST_DEPTH + 1}) exceeds the maximum allowed ({MOST_DEPTH}, from "
    "`StreamWriteConstraints.getMaxNestingDepth()`)"
)
#: The tokens of compact JSON text: a string, a scalar, or punctuation.
_TOKEN = r'"(?:[^"\\]|\\.)*"|[^",:\[\]{}\s]+|[,:\[\]{}]'
#: The DuckDB types Trino's json_array_contains reads as a bigint.
_BIGINT_TYPES = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"
#: Where Jackson's whitespace ends, at the text's start.
_SPACE = r"^[ \t\n\r]*"
#: Text whose first character starts no JSON token (an ASCII one: Jackson skips a byte order mark).
_FIRST_TOKEN_FAILS = (
    _SPACE + r"(?:$|[\x00-\x08\x0b\x0c\x0e-\x1f\x21\x23-\x2c\x2e\x2f\x3a-\x5a\x5c-\x60a-eg-mo-su-z\x7c-\x7f])"
)
#: A JSON string (in text DuckDB read as JSON).
_STRING = r'"(?:[^"\\]|\\.)*"'
#: What DuckDB's JSON reader reads and Jackson does not, outside strings: NaN, Infinity, a
#: trailing comma.
_LENIENT = r"(?i)nan|inf|,[ \t\n\r]*[\]}]"
#: DuckDB's text of a double that Java writes otherwise: an exponent (`1E400`, beyond a double, as
#: written: DuckDB keeps it), or 8 digits and more
#: before the point, or a value below 0.001 (a cheap test before the exact rewrite).
_OTHER_DOUBLE = r"[0-9][eE]|[0-9]{8,}\.[0-9]|(?:^|[^0-9])0\.00[0-9]"
#: DuckDB types (as typeof writes them) whose JSON text is not Trino's: reals, times, intervals.
_UNWRITTEN = r"\b(?:FLOAT|REAL|TIMESTAMP|TIMESTAMP_[A-Z]+|TIMESTAMP WITH TIME ZONE|TIME|TIMETZ|INTERVAL|BLOB|UUID|BIT|UNION|ENUM)\b"
#: ... and, within an array, map or row, decimals (DuckDB drops their trailing zeros).
_UNWRITTEN_INSIDE = r"\bDECIMAL\("


def macros(refusal: str) -> dict[str, str]:
    """The DuckDB macros (name: body), in the order they must be created."""
    not_escaped = (
        f"error('{refusal}JSON text holding characters beyond U+FFFF or DEL is not written locally as Athena "
        "writes it (escaped): run the query on Athena')"
    )
    unsorted_map = (
        f"error('{refusal}CAST to JSON of a map holding rows or JSON, or of a row holding maps, is not run "
        "locally (Athena sorts a map''s keys, keeps a row''s fields and JSON''s keys in order): run the "
        "query on Athena')"
    )
    queried_map = (
        f"error('{refusal}CAST to JSON of a map computed by a subquery or json_parse is not run locally "
        "(Athena sorts its keys): run the query on Athena')"
    )
    # (the CASE inside keeps json_tree, run for every row, off values that are no map)
    sorted_map = (
        "CAST(trino_json_text(CASE WHEN contains(typeof(x), 'MAP(') THEN CAST(x AS JSON) END, true) AS JSON)"
    )

    def to_json(map_text: str) -> str:
        return (
            "CASE WHEN typeof(x) = 'VARCHAR' THEN to_json(x) "
            "WHEN regexp_full_match(typeof(x), 'DECIMAL\\([0-9]+,[0-9]+\\)') THEN CAST(CAST(x AS VARCHAR) AS JSON) "
            f"WHEN regexp_matches(typeof(x), '{_UNWRITTEN}') OR regexp_matches(typeof(x), '{_UNWRITTEN_INSIDE}') "
            f"THEN error('{refusal}CAST of a value of DuckDB type ' || typeof(x) || ' to JSON is not run "
            "locally (Athena writes some of its values otherwise): CAST its parts to varchar, bigint or "
            "double first, or run the query on Athena') "
            "WHEN contains(typeof(x), 'MAP(') THEN CASE WHEN regexp_matches(typeof(x), 'STRUCT\\(|\\bJSON\\b') "
            f"THEN {unsorted_map} ELSE {map_text} END "
            "ELSE trino_json_numbers(CAST(x AS JSON)) END"
        )

    return {
        # Whether JSON text `x` nests deeper than MOST_DEPTH: where its brackets number more (rare:
        # most text stops at this count), whether the running count of brackets opened and not
        # closed, outside strings, passes it (once past, it stays past).
        "trino_json_deeper": "(x) AS CASE WHEN x IS NULL "
        f"OR length(CAST(x AS VARCHAR)) - length(translate(CAST(x AS VARCHAR), '[{{', '')) <= {MOST_DEPTH} THEN false "
        "ELSE list_reduce(list_prepend(0, list_transform(string_split(regexp_replace(regexp_replace("
        f"CAST(x AS VARCHAR), '{_STRING}', '', 'g'), '[^\\[\\]{{}}]', '', 'g'), ''), "
        "lambda c: CASE WHEN c IN ('[', '{') THEN 1 ELSE -1 END)), "
        f"lambda depth, step: CASE WHEN depth > {MOST_DEPTH} THEN depth ELSE depth + step END) > {MOST_DEPTH} END",
        # json_extract's value `j` as Trino's JSON writer takes it: its error past MOST_DEPTH.
        "trino_json_written": f"(j) AS CASE WHEN trino_json_deeper(j) "
        f"THEN error('{refusal}{TOO_DEEP}') ELSE j END",
        # Whether text is JSON as Trino's reader (Jackson) reads it: DuckDB's also reads trailing
        # commas (`[1,]`) and NaN and Infinity, which Jackson refuses (the text with its strings
        # blanked is looked at only where those letters or a comma before a bracket appear).
        "trino_json_strict": "(x) AS json_valid(x) AND (NOT regexp_matches(CAST(x AS VARCHAR), "
        f"'{_LENIENT}') OR NOT regexp_matches(regexp_replace(CAST(x AS VARCHAR), '{_STRING}', "
        f"'\"\"', 'g'), '{_LENIENT}'))",
        # Text as Trino's JSON functions read it (`function` names the one): NULL where Jackson
        # fails on its first token (`not json`); text that is no JSON otherwise is refused (Trino
        # reads it up to the error: what comes before it may answer).
        "trino_json_read": "(x, function) AS CASE WHEN x IS NULL OR trino_json_strict(x) THEN x "
        f"WHEN regexp_matches(CAST(x AS VARCHAR), '{_FIRST_TOKEN_FAILS}') "
        f"OR regexp_matches(CAST(x AS VARCHAR), '{_SPACE}[tfn]') "
        f"AND NOT regexp_matches(CAST(x AS VARCHAR), '{_SPACE}(?:true|false|null)(?:[^A-Za-z0-9_$]|$)') "
        "THEN NULL "
        f"ELSE error('{refusal}' || function || ' of text that is not JSON as Athena reads it is not run "
        "locally (Athena reads it up to the error, and may answer from what comes before): run the "
        "query on Athena') END",
        # json_array_length as Trino's reads JSON: the items of an array; NULL for text that starts
        # with no array (an object, a scalar, `not json`: DuckDB counts 0 for an object, fails on the
        # rest), and for an array Jackson fails inside (`[1,]`, NaN, which DuckDB's reader takes);
        # text that is no JSON after an opening bracket refused (Trino counts the items of an array
        # followed by anything, `[1, 2] x`, and gives NULL for one with an error inside, `[1, x]`).
        "trino_json_array_length": "(x) AS CASE WHEN x IS NULL "
        f"OR NOT regexp_matches(CAST(x AS VARCHAR), '{_SPACE}\\[') THEN NULL "
        "WHEN trino_json_strict(x) THEN json_array_length(x) WHEN json_valid(x) THEN NULL "
        f"ELSE error('{refusal}json_array_length of text that is not JSON as Athena reads it is not run "
        "locally (Athena reads it up to the error, and may answer from what comes before): run the "
        "query on Athena') END",
        # json_array_contains(j, v) as Trino's reads JSON: NULL for a JSON value that is no array,
        # else whether an item of the array (not within a nested one) is v's token: an integer's
        # for a bigint (1.0 is no integer), a number with a point or exponent for a double (1 is
        # none), a string's for a varchar, true or false for a boolean. DuckDB's own reads `[1]`
        # for 1.0. An item beyond the doubles (1e400) is refused (Athena reads it otherwise).
        "trino_json_array_has": "(r, v) AS CASE WHEN r IS NULL OR json_type(r) <> 'ARRAY' THEN NULL ELSE "
        "coalesce(list_bool_or(list_transform(json_extract(CAST(r AS VARCHAR), '$[*]'), lambda e: CASE "
        f"WHEN typeof(v) IN {_BIGINT_TYPES} THEN json_type(e) IN ('BIGINT', 'UBIGINT') "
        "AND TRY_CAST(e AS BIGINT) = TRY_CAST(v AS BIGINT) "
        "WHEN typeof(v) = 'VARCHAR' THEN json_type(e) = 'VARCHAR' AND (e ->> '$') = CAST(v AS VARCHAR) "
        "WHEN typeof(v) = 'BOOLEAN' THEN json_type(e) = 'BOOLEAN' AND TRY_CAST(e AS BOOLEAN) = TRY_CAST(v AS BOOLEAN) "
        "WHEN json_type(e) <> 'DOUBLE' OR regexp_full_match(CAST(e AS VARCHAR), '-?[0-9]+') THEN false "
        f"WHEN isinf(CAST(e AS DOUBLE)) THEN error('{refusal}json_array_contains of an array holding the "
        "number ' || CAST(e AS VARCHAR) || ', beyond the doubles, is not run locally: run the query on Athena') "
        "ELSE CAST(e AS DOUBLE) = TRY_CAST(v AS DOUBLE) END)), false) END",
        # (text that starts with no array is NULL, whatever follows: Trino reads no further)
        "trino_json_array_contains": "(j, v) AS CASE WHEN j IS NULL OR v IS NULL "
        f"OR regexp_matches(CAST(j AS VARCHAR), '{_SPACE}(?:$|[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x21-\\x5a\\x5c-\\x7f])') THEN NULL "
        f"WHEN typeof(v) NOT IN {_BIGINT_TYPES} AND typeof(v) NOT IN ('VARCHAR', 'BOOLEAN', 'DOUBLE', 'FLOAT') "
        "AND NOT regexp_full_match(typeof(v), 'DECIMAL\\((?:[1-9]|1[0-5]),[0-9]+\\)') "
        f"THEN error('{refusal}json_array_contains of a value of DuckDB type ' || typeof(v) || ' is not run "
        "locally (Athena reads a bigint, a double, a varchar or a boolean; a decimal of more than 15 digits "
        "becomes a double otherwise): CAST it AS bigint, double or varchar') "
        "ELSE trino_json_array_has(trino_json_read(j, 'json_array_contains'), v) END",
        # A double's shortest text (DuckDB's: `1e-07`, `123.0`) as Java's Double.toString writes it:
        # plain from 0.001 to 10^7, else d.dddE<n>. d: the significant digits, x: the exponent.
        "trino_java_double_d": "(neg, d, x) AS CASE WHEN neg THEN '-' ELSE '' END || CASE WHEN d = '' THEN '0.0' "
        "WHEN x >= 7 OR x < -3 THEN d[1] || '.' || coalesce(nullif(d[2:], ''), '0') || 'E' || x "
        "WHEN x >= 0 THEN rpad(d, x + 1, '0')[1:x + 1] || '.' || coalesce(nullif(d[x + 2:], ''), '0') "
        "ELSE '0.' || repeat('0', -x - 1) || d END",
        "trino_java_double_m": "(neg, m, e) AS trino_java_double_d(neg, rtrim(ltrim(replace(m, '.', ''), '0'), '0'), "
        "CAST(e + length(split_part(m, '.', 1)) - 1 "
        "- (length(replace(m, '.', '')) - length(ltrim(replace(m, '.', ''), '0'))) AS INTEGER))",
        "trino_java_double": "(a) AS trino_java_double_m(starts_with(a, '-'), split_part(ltrim(lower(a), '-'), 'e', 1), "
        "CAST(coalesce(nullif(split_part(ltrim(lower(a), '-'), 'e', 2), ''), '0') AS INTEGER))",
        # A JSON scalar (its DuckDB type and text) as Trino's JSON writer writes it: a double as Java
        # does, an integer beyond 64 bits (DuckDB keeps its digits) as written, beyond the doubles
        # as the string "Infinity"; a subnormal double (Java writes 4.9E-324 for 5e-324) refused.
        "trino_json_atom": "(kind, atom) AS CASE WHEN kind = 'NULL' THEN 'null' WHEN kind <> 'DOUBLE' THEN atom "
        "WHEN regexp_full_match(atom, '-?[0-9]+') THEN atom "
        "WHEN isinf(CAST(atom AS DOUBLE)) THEN CASE WHEN starts_with(atom, '-') THEN '\"-Infinity\"' "
        "ELSE '\"Infinity\"' END "
        "WHEN CAST(atom AS DOUBLE) <> 0 AND abs(CAST(atom AS DOUBLE)) < 2.2250738585072014e-308 "
        f"THEN error('{refusal}the JSON number ' || atom || ' is below the smallest normal double: Athena writes "
        "it with other digits') ELSE trino_java_double(atom) END",
        # JSON `j` as Trino writes it: compact, numbers as Trino's (trino_json_atom), an object's
        # keys sorted (`sorted`, as json_parse gives them: a key given twice keeps its last value) or
        # in order. Built from json_tree:
        # the nodes ordered by the path of their keys (sorted) or of their positions, each written
        # with its separator, its key, its value or bracket, and the brackets it closes.
        "trino_json_text": "(j, sorted) AS CASE WHEN j IS NULL THEN NULL "
        f"WHEN regexp_matches(CAST(j AS VARCHAR), '{ESCAPED_BY_TRINO}') THEN {not_escaped} ELSE ("
        "WITH RECURSIVE t AS (SELECT *, row_number() OVER (PARTITION BY parent, key ORDER BY id DESC) AS later "
        "FROM json_tree(j)), "
        "walk(id, parent, depth, sortkey, closers, kind, atom, key, ptype) AS ("
        "SELECT id, NULL::UBIGINT, 0, []::VARCHAR[], []::VARCHAR[], type, atom, key, NULL::VARCHAR "
        "FROM t WHERE parent IS NULL "
        "UNION ALL "
        "SELECT c.id, w.id, w.depth + 1, list_append(w.sortkey, CASE WHEN sorted AND w.kind = 'OBJECT' "
        "THEN c.key ELSE lpad(CAST(c.id AS VARCHAR), 20, '0') END), "
        "list_append(w.closers, CASE w.kind WHEN 'ARRAY' THEN ']' ELSE '}' END), "
        "c.type, c.atom, c.key, w.kind FROM walk AS w JOIN t AS c ON c.parent = w.id "
        "WHERE c.later = 1 OR NOT sorted) "
        "SELECT string_agg(piece, '' ORDER BY sortkey) FROM ("
        "SELECT sortkey, CASE WHEN row_number() OVER (PARTITION BY parent ORDER BY sortkey) > 1 THEN ',' ELSE '' END "
        "|| CASE WHEN ptype = 'OBJECT' THEN CAST(to_json(key) AS VARCHAR) || ':' ELSE '' END "
        "|| CASE kind WHEN 'OBJECT' THEN '{' WHEN 'ARRAY' THEN '[' "
        "ELSE trino_json_atom(kind, CAST(atom AS VARCHAR)) END "
        "|| CASE WHEN kind IN ('OBJECT', 'ARRAY') AND coalesce(lead(depth) OVER (ORDER BY sortkey), 0) <= depth "
        "THEN CASE kind WHEN 'OBJECT' THEN '}' ELSE ']' END ELSE '' END "
        "|| array_to_string(list_reverse(list_slice(closers, "
        "coalesce(lead(depth) OVER (ORDER BY sortkey), 0) + 1, depth)), '') AS piece FROM walk)) END",
        # JSON text with Trino's numbers, keys in order (json_extract's, json_format's), from DuckDB's
        # compact text token by token (no subquery: it may wrap json_parse's); DuckDB's text as it is
        # where no double in it is written otherwise by Java (most of CloudTrail's).
        "trino_json_numbers": "(j) AS CASE "
        f"WHEN regexp_matches(CAST(j AS VARCHAR), '{ESCAPED_BY_TRINO}') THEN {not_escaped} "
        f"WHEN regexp_matches(CAST(j AS VARCHAR), '{_OTHER_DOUBLE}') THEN CAST(array_to_string(list_transform("
        f"regexp_extract_all(CAST(j AS VARCHAR), '{_TOKEN}'), lambda k: CASE WHEN "
        "regexp_full_match(k, '-?[0-9][0-9.eE+-]*') AND regexp_matches(k, '[.eE]') "
        "THEN trino_json_atom('DOUBLE', k) ELSE k END), '') AS JSON) ELSE j END",
        # json_parse: the JSON with its keys sorted and Trino's numbers; `tried` (TRY): NULL for
        # text that is no JSON as Jackson reads it (DuckDB reads `[1,]`), else Trino's error (DuckDB's TRY
        # takes no subquery).
        # (trino_json_strict's body, not its one-read binder: a lambda inside trino_json_text's
        # recursive query read its argument wrongly, and x is read once here anyway)
        # Text nesting deeper than MOST_DEPTH is refused before the walk (its memory is square in the
        # depth; Trino's own json_parse fails some thousands deep); trino_json_deeper's body too, as
        # trino_json_strict's.
        "trino_json_parse": "(x, tried) AS CAST(trino_json_text(json(CASE WHEN x IS NULL THEN x "
        "WHEN NOT trino_json_strict_body(x) THEN CASE WHEN tried THEN NULL "
        f"ELSE error('{refusal}Cannot convert value to JSON: ''' || x || '''') END "
        f"WHEN trino_json_deeper_body(x) THEN error('{refusal}json_parse of JSON nesting deeper than "
        f"{MOST_DEPTH} levels is not run locally (its walk takes memory square in the depth; Athena''s "
        "own fails some thousands deep): run the query on Athena') ELSE x END), true) AS JSON)",
        # json_extract_scalar of a number: its token as written in the JSON text `j` (DuckDB gives
        # the double's text: 1.5 for 1.50). Found among the text's number tokens of the same value;
        # two spellings of it (1.5 and 1.50) are refused. An integer's digits are DuckDB's own.
        "trino_json_number_token": "(j, v, found) AS CASE WHEN len(found) = 1 THEN found[1] "
        f"ELSE error('{refusal}json_extract_scalar of the number ' || v || ', written more than one way in "
        "this JSON text, is not run locally (Athena gives the text as written): CAST(json_extract(...) AS "
        "DOUBLE) reads its value') END",
        "trino_json_scalar": "(j, v, kind) AS CASE "
        "WHEN kind = 'DOUBLE' AND NOT regexp_full_match(v, '-?[0-9]+') OR v = '0' AND kind IN ('BIGINT', 'UBIGINT') "
        "THEN trino_json_number_token(j, v, list_distinct(list_filter(regexp_extract_all(CAST(j AS VARCHAR), "
        f"'{NUMBER_TOKEN}', 1), lambda n: TRY_CAST(n AS DOUBLE) = TRY_CAST(v AS DOUBLE)))) ELSE v END",
        # CAST(json AS VARCHAR) as Trino casts: a string unquoted, JSON null as NULL, a boolean or an
        # integer as written, an object or array an error (`tried`: NULL); a double refused (Trino
        # writes it as a DOUBLE's text, 1.5E0, with digits of its own).
        "trino_json_varchar": "(t, tried) AS CASE json_type(t) WHEN 'VARCHAR' THEN t ->> '$' WHEN 'NULL' THEN NULL "
        "WHEN 'BOOLEAN' THEN t WHEN 'BIGINT' THEN t WHEN 'UBIGINT' THEN t "
        "WHEN 'DOUBLE' THEN CASE WHEN regexp_full_match(t, '-?[0-9]+') THEN t "
        f"ELSE error('{refusal}CAST of the JSON number ' || t || ' to VARCHAR is not run locally (Athena "
        "writes it as a double, e.g. 1.5E0): json_extract_scalar gives its text as written') END "
        "ELSE CASE WHEN tried THEN NULL "
        f"ELSE error('{refusal}Cannot cast ''' || t || ''' to varchar') END END",
        # CAST(x AS JSON) as Trino casts: text becomes a JSON string (DuckDB parses it), a map's
        # keys are sorted (nested maps', maps' in arrays, too: DuckDB keeps them in order), doubles
        # are Java's (`1.0E-7`), a decimal keeps its scale. What DuckDB writes otherwise is
        # refused: reals and times, decimals inside an array, map or row, rows or JSON in a map.
        "trino_to_json": f"(x) AS {to_json(sorted_map)}",
        # ... of an operand that is no map, or holds a query (json_parse's: json_tree takes none, so
        # a map is refused).
        "trino_to_json_unsorted": f"(x) AS {to_json(queried_map)}",
    }


_MACRO = re.compile(r"\((?P<params>[^)]*)\) AS (?P<body>.*)", re.S)


def bound_once(macros: dict[str, str], passed: tuple[str, ...] = ()) -> dict[str, str]:
    """The macros, each whose body names a parameter more than once made to read every argument
    once: its body becomes `<name>_body`, and `<name>` hands it the arguments as the fields of a
    one-item list's item (a lambda's parameter is read once).

    DuckDB expands a macro by putting the argument's SQL wherever the body names the parameter, so
    nested macros multiply it: json_parse's result (a recursive query) handed to
    json_extract_scalar's number macros was planned some sixty times, 8 seconds for one literal,
    and put inside a lambda (a binder error). A body holding a subquery keeps its form: DuckDB
    takes none inside a lambda, nor does one calling such a macro. Parameters `passed` (constants
    the rewrite writes, which DuckDB folds) are handed on as they are."""
    bound: dict[str, str] = {}
    querying: list[str] = []  # macros holding a subquery, or calling one that does
    for name, macro in macros.items():
        shape = _MACRO.fullmatch(macro)
        assert shape is not None, name
        params = [p.strip() for p in shape["params"].split(",")]
        body = shape["body"]
        once = [p for p in params if p not in passed]
        named_twice = any(len(re.findall(rf"\b{p}\b", body)) > 1 for p in once)
        if re.search(r"\b(?:SELECT|" + "|".join(["SELECT", *querying]) + r")\b", body, re.I):
            querying.append(name)
        if not named_twice or name in querying:
            bound[name] = macro
            continue
        bound[f"{name}_body"] = macro
        fields = ", ".join(f"{p} := {p}" for p in once)
        # (the lambda's parameter named after the macro: an argument handed on as it is may hold
        # another macro's, which a parameter of the same name inside would hide)
        # (struct_extract, not `{name}_args.p`: in HAVING, DuckDB binds a dotted name as a column)
        args = ", ".join(p if p in passed else f"struct_extract({name}_args, '{p}')" for p in params)
        bound[name] = (
            f"({shape['params']}) AS list_transform([struct_pack({fields})], "
            f"lambda {name}_args: {name}_body({args}))[1]"
        )
    return bound
