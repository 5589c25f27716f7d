#!/usr/bin/env python3
"""Lint for the Grafana dashboards in grafana/dashboards/ (stdlib only).

    tests/grafana/lint_dashboards.py grafana/dashboards/*.json
    tests/grafana/lint_dashboards.py --list-metrics grafana/dashboards/llm-cost.json

Prints one line per finding, `file: [code] where: message`, and exits 1 when
there is any. The codes (tests/grafana/test_lint_dashboards.py feeds a broken
fixture that has each of them):

  json                 not valid JSON, or not an object
  uid                  uid differs from the file name without .json
  title                dashboard or panel without a title
  schema               schemaVersion missing or below 39
  dashboard-id         a fixed numeric "id" (provisioning assigns ids)
  datasource-variable  no variable `datasource` of type datasource for prometheus
  variable             campaign / service variable missing, not multi-value,
                       without All, or whose All is not ".*"
  variable-datasource  a query variable not on ${datasource}
  unused-variable      campaign or service used by no panel query
  undefined-variable   a query names a $variable the dashboard does not define
  panel-type           deprecated (graph, singlestat, ...) or unknown panel type
  panel-id             panel id missing or not unique (rows and nested panels included)
  gridpos              gridPos missing or outside the 24-column grid
  panel-datasource     a panel not on ${datasource}
  target-datasource    a target not on ${datasource}
  target               a panel without targets, a target without expr or refId,
                       or a refId used twice in one panel
  unit                 no fieldConfig.defaults.unit, or a unit Grafana does not know
  range-window         a range selector or subquery whose window is not
                       $__rate_interval (or $__range, in instant queries only)
  campaign-filter      a selector of a series with campaign_id that does not
                       filter campaign_id=~"$campaign"
  service-filter       the same for service / $service
  unknown-metric       a metric neither exposed by the exporter
                       (tests/grafana/exposed_metrics.txt, checked against a live
                       exporter by tests/e2e/test_grafana_dashboards.py), nor
                       recorded by the shipped rules, nor made by Prometheus (up, scrape_*)
  promql               a query that does not tokenize, has unbalanced brackets,
                       or calls an unknown function
  release-annotation   no annotation on llm_release_first_seen_timestamp_seconds
                       with useValueForTime
  annotation           an annotation not on ${datasource}, or one with
                       useValueForTime whose seconds are not turned into ms

The module is also imported by the end-to-end test, which runs every query
this lint finds (dashboard_queries) against a live Prometheus.
"""
import argparse
import json
import os
import re
import sys
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_RULES = os.path.join(REPO, "config", "prometheus", "llm_cost_exporter.rules.yml")
DEFAULT_EXPOSED = os.path.join(HERE, "exposed_metrics.txt")

DATASOURCE_UID = "${datasource}"
MIN_SCHEMA_VERSION = 39
RELEASE_METRIC = "llm_release_first_seen_timestamp_seconds"
FILTERS = {"campaign_id": "campaign", "service": "service"}  # label -> variable

# Series Prometheus itself adds to every scrape target.
PROMETHEUS_SERIES = {
    "up": {"job", "instance"},
    "scrape_duration_seconds": {"job", "instance"},
    "scrape_samples_scraped": {"job", "instance"},
    "scrape_samples_post_metric_relabeling": {"job", "instance"},
    "scrape_series_added": {"job", "instance"},
}

GRAFANA_BUILTIN_VARIABLES = {
    "__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
    "__from", "__to", "__dashboard", "__org", "__user", "__timeFilter",
}

PANEL_TYPES = {
    "row", "timeseries", "stat", "gauge", "bargauge", "table", "text", "heatmap", "barchart",
    "piechart", "state-timeline", "status-history", "histogram", "dashlist", "alertlist", "news", "logs",
}
DEPRECATED_PANEL_TYPES = {"graph", "singlestat", "table-old", "grafana-singlestat-panel",
                          "grafana-piechart-panel", "grafana-worldmap-panel"}
NO_QUERY_PANEL_TYPES = {"row", "text", "dashlist", "alertlist", "news"}

# Grafana unit ids (public/app/features/valueFormats/categories.ts) used or
# likely in these dashboards; custom units take one of the prefixes below.
UNITS = {
    "none", "short", "percent", "percentunit", "sci", "locale", "string", "hex", "hex0x",
    "currencyUSD", "currencyEUR", "currencyGBP",
    "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms", "clockms", "clocks",
    "dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsUS", "dateTimeAsUSNoDateIfToday",
    "dateTimeAsLocal", "dateTimeAsSystem", "dateTimeFromNow",
    "bytes", "decbytes", "bits", "decbits", "kbytes", "mbytes", "gbytes", "Bps", "bps", "binBps", "binbps",
    "ops", "reqps", "cps", "rps", "wps", "iops", "eps", "mps", "recps", "rowsps",
    "opm", "reqpm", "cpm", "rpm", "wpm", "epm", "mpm", "recpm", "rowspm",
    "bool", "bool_yes_no", "bool_on_off",
}
CUSTOM_UNIT_PREFIXES = ("suffix:", "prefix:", "si:", "count:", "currency:", "time:")

AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
FUNCTIONS = {
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
    "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor",
    "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
    "histogram_stdvar", "histogram_sum", "holt_winters", "double_exponential_smoothing", "hour", "idelta",
    "increase", "irate", "label_join", "label_replace", "ln", "log2", "log10", "minute", "month",
    "predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sort_by_label",
    "sort_by_label_desc", "sqrt", "time", "timestamp", "vector", "year", "avg_over_time",
    "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "quantile_over_time",
    "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "mad_over_time",
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
    "deg", "rad", "pi",
}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "Inf", "NaN", "inf", "nan", "atan2"}
RANGE_WINDOWS_ANY = {"__rate_interval"}
RANGE_WINDOWS_INSTANT = {"__range"}

# Every code the lint reports (the docstring above explains each).
CODES = ("json", "uid", "title", "schema", "dashboard-id", "datasource-variable", "variable",
         "variable-datasource", "unused-variable", "undefined-variable", "panel-type", "panel-id", "gridpos",
         "panel-datasource", "target-datasource", "target", "unit", "range-window", "campaign-filter",
         "service-filter", "unknown-metric", "promql", "release-annotation", "annotation")

Finding = namedtuple("Finding", "code where message")
Query = namedtuple("Query", "kind where expr instant source")  # kind: target, variable, annotation;
# source: the panel, variable or annotation object the query belongs to
Selector = namedtuple("Selector", "name matchers window")  # matchers: [(label, op, value)]


# ------------------------------------------------------------------ PromQL
class PromQLError(ValueError):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<duration>(?:\d+(?:ms|[smhdwy]))+(?![A-Za-z0-9_]))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],:@])
""", re.VERBOSE)


def tokenize(expr):
    tokens, pos = [], 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise PromQLError(f"cannot tokenize at {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            tokens.append((m.lastgroup, m.group()))
    return tokens


def variable_name(token_text):
    """`$x`, `${x}`, `${x:regex}` -> x."""
    inner = token_text[2:-1] if token_text.startswith("${") else token_text[1:]
    return inner.split(":")[0].split(".")[0]


def analyze(expr):
    """Returns (selectors, functions, variables) of a PromQL expression with
    Grafana variables. Raises PromQLError on malformed input."""
    tokens = tokenize(expr)
    selectors, functions, variables = [], [], set()
    stack = []
    i = 0
    n = len(tokens)

    def peek(k):
        return tokens[k] if k < n else (None, None)

    def read_window(k):
        """tokens[k] is '['; returns (window text, index after ']')."""
        depth, parts, k = 1, [], k + 1
        while k < n:
            kind, text = tokens[k]
            if text == "[":
                depth += 1
            elif text == "]":
                depth -= 1
                if depth == 0:
                    return "".join(parts), k + 1
            if kind == "var":
                variables.add(variable_name(text))
            parts.append(text)
            k += 1
        raise PromQLError("unclosed '['")

    def read_matchers(k):
        """tokens[k] is '{'; returns (matchers, index after '}')."""
        matchers, k = [], k + 1
        while k < n and tokens[k][1] != "}":
            if tokens[k][1] == ",":
                k += 1
                continue
            label, op, value = peek(k), peek(k + 1), peek(k + 2)
            if label[0] not in ("ident", "string") or op[1] not in ("=", "!=", "=~", "!~") or value[0] != "string":
                raise PromQLError(f"bad label matcher near {label[1]!r}")
            text = value[1][1:-1]
            for ref in re.findall(r"\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*", text):
                variables.add(variable_name(ref))
            matchers.append((label[1].strip('"'), op[1], text))
            k += 3
        if k >= n:
            raise PromQLError("unclosed '{'")
        return matchers, k + 1

    while i < n:
        kind, text = tokens[i]
        nxt = peek(i + 1)
        if kind == "var":
            variables.add(variable_name(text))
            i += 1
        elif kind == "ident" and text in LABEL_LIST_KEYWORDS:
            i += 1
            if peek(i)[1] == "(":
                while i < n and tokens[i][1] != ")":
                    i += 1
                if i >= n:
                    raise PromQLError(f"unclosed label list after {text}")
                i += 1
        elif kind == "ident" and text == "offset":
            i += 2
        elif kind == "ident" and text in KEYWORDS:
            i += 1
        elif kind == "ident" and text in AGGREGATIONS:  # sum (...), sum by (...) (...)
            functions.append(text)
            i += 1
        elif kind == "ident" and nxt[1] == "(":
            if text not in FUNCTIONS and text not in AGGREGATIONS:
                raise PromQLError(f"unknown function {text}()")
            functions.append(text)
            i += 1
        elif kind == "ident" or text == "{":
            name = text if kind == "ident" else None
            if kind == "ident":
                i += 1
            matchers = []
            if peek(i)[1] == "{":
                matchers, i = read_matchers(i)
            if name is None:
                name = next((v for label, op, v in matchers if label == "__name__" and op == "="), None)
            window = None
            if peek(i)[1] == "[":
                window, i = read_window(i)
            selectors.append(Selector(name, matchers, window))
        elif text == "[":  # subquery window after ')'
            window, i = read_window(i)
            selectors.append(Selector(None, [], window))
        elif text in ("(", "{"):
            stack.append(text)
            i += 1
        elif text == ")":
            if not stack or stack.pop() != "(":
                raise PromQLError("unbalanced ')'")
            i += 1
        elif text in ("}", "]"):
            raise PromQLError(f"unbalanced {text!r}")
        else:
            i += 1
    if stack:
        raise PromQLError("unclosed '('")
    return selectors, functions, variables


LABEL_VALUES = re.compile(r"^\s*label_values\s*\((?:(?P<selector>.*),)?\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.S)
QUERY_RESULT = re.compile(r"^\s*query_result\s*\((?P<expr>.*)\)\s*$", re.S)


def variable_promql(query):
    """The PromQL inside a Grafana Prometheus variable query, or None
    (label_names(), metrics(...) have none)."""
    m = LABEL_VALUES.match(query)
    if m:
        return m.group("selector")
    m = QUERY_RESULT.match(query)
    if m:
        return m.group("expr")
    if re.match(r"^\s*(label_names|metrics)\s*\(", query):
        return None
    return query


def variable_query_text(variable):
    q = variable.get("query")
    if isinstance(q, dict):
        q = q.get("query", "")
    return q or variable.get("definition", "") or ""


# ------------------------------------------------------------ known names
def load_exposed(path):
    """exposed_metrics.txt: `family type label,label,...` ('-': no labels).
    Returns {family: (type, frozenset(labels))}."""
    families = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3 or parts[1] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise ValueError(f"{path}:{lineno}: expected `name type labels`, got {line!r}")
            labels = frozenset() if parts[2] == "-" else frozenset(parts[2].split(","))
            families[parts[0]] = (parts[1], labels)
    return families


def series_labels(families):
    """Series names (histogram _bucket/_sum/_count included) -> label names."""
    series = {}
    for name, (kind, labels) in families.items():
        if kind == "histogram":
            series[name + "_bucket"] = labels | {"le"}
            series[name + "_sum"] = labels
            series[name + "_count"] = labels
        elif kind == "summary":
            series[name] = labels | {"quantile"}
            series[name + "_sum"] = labels
            series[name + "_count"] = labels
        else:
            series[name] = labels
    return series


_RECORD = re.compile(r"^\s*-?\s*record:\s*['\"]?([A-Za-z_:][A-Za-z0-9_:]*)['\"]?\s*$")


def recorded_names(rules_path):
    """Names of the `record:` rules of a Prometheus rules file (no YAML library needed)."""
    with open(rules_path) as f:
        return {m.group(1) for m in map(_RECORD.match, f) if m}


class Catalog:
    def __init__(self, exposed_path=DEFAULT_EXPOSED, rules_path=DEFAULT_RULES):
        self.families = load_exposed(exposed_path)
        self.series = series_labels(self.families)
        self.series.update(PROMETHEUS_SERIES)
        self.recorded = recorded_names(rules_path)

    def known(self, name):
        return name in self.series or name in self.recorded

    def needs_filter(self, name, label):
        if name in self.series:
            return label in self.series[name]
        if ":" in name:  # level:metric:operations; the level names the labels kept
            level = name.split(":", 1)[0].split("_")
            return {"campaign_id": "campaign", "service": "service"}[label] in level
        return False


# --------------------------------------------------------------- dashboard
def iter_panels(panels):
    for p in panels or []:
        yield p
        yield from iter_panels(p.get("panels"))


def panel_where(panel):
    return f"panel {panel.get('id')} {panel.get('title', '')!r}"


def dashboard_queries(dashboard):
    """Every PromQL query of a dashboard: panel targets, variable queries, annotations."""
    queries = []
    for panel in iter_panels(dashboard.get("panels")):
        for t in panel.get("targets") or []:
            if isinstance(t, dict) and t.get("expr"):
                queries.append(Query("target", f"{panel_where(panel)} target {t.get('refId')}", t["expr"],
                                     bool(t.get("instant")) and not t.get("range"), panel))
    for v in (dashboard.get("templating") or {}).get("list") or []:
        if v.get("type") == "query":
            promql = variable_promql(variable_query_text(v))
            if promql:
                queries.append(Query("variable", f"variable {v.get('name')!r}", promql, True, v))
    for a in (dashboard.get("annotations") or {}).get("list") or []:
        if a.get("expr"):
            queries.append(Query("annotation", f"annotation {a.get('name')!r}", a["expr"], False, a))
    return queries


def metric_names(dashboard):
    """Every metric name the dashboard's queries name (unparseable queries skipped)."""
    names = set()
    for q in dashboard_queries(dashboard):
        try:
            selectors, _, _ = analyze(q.expr)
        except PromQLError:
            continue
        names.update(s.name for s in selectors if s.name)
    return names


def is_datasource(ref):
    return isinstance(ref, dict) and ref.get("uid") == DATASOURCE_UID and ref.get("type") == "prometheus"


def unit_ok(unit):
    return isinstance(unit, str) and (unit in UNITS or (unit.startswith(CUSTOM_UNIT_PREFIXES) and len(unit) > 7))


def lint_dashboard(dashboard, stem, catalog):
    out = []

    def add(code, where, message):
        out.append(Finding(code, where, message))

    if not isinstance(dashboard, dict):
        add("json", "dashboard", "the file is not a JSON object")
        return out
    if dashboard.get("uid") != stem:
        add("uid", "dashboard", f"uid {dashboard.get('uid')!r} differs from the file name {stem!r}")
    if not dashboard.get("title"):
        add("title", "dashboard", "no title")
    schema = dashboard.get("schemaVersion")
    if not isinstance(schema, int) or schema < MIN_SCHEMA_VERSION:
        add("schema", "dashboard", f"schemaVersion {schema!r} is below {MIN_SCHEMA_VERSION}")
    if dashboard.get("id") is not None:
        add("dashboard-id", "dashboard", f"fixed id {dashboard.get('id')!r}: use null, provisioning assigns ids")

    # ---- variables
    variables = (dashboard.get("templating") or {}).get("list") or []
    by_name = {v.get("name"): v for v in variables if isinstance(v, dict)}
    ds = by_name.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        add("datasource-variable", "templating", "needs a variable `datasource` of type datasource, query prometheus")
    for name in ("campaign", "service"):
        v = by_name.get(name)
        if not v:
            add("variable", "templating", f"no `{name}` variable")
        elif not (v.get("multi") and v.get("includeAll") and v.get("allValue") == ".*"):
            add("variable", f"variable {name!r}", 'must be multi-value with All, allValue ".*"')
    for v in variables:
        if v.get("type") == "query" and not is_datasource(v.get("datasource")):
            add("variable-datasource", f"variable {v.get('name')!r}", f"datasource must be uid {DATASOURCE_UID}")
    defined = set(by_name) | GRAFANA_BUILTIN_VARIABLES

    # ---- annotations
    annotations = (dashboard.get("annotations") or {}).get("list") or []
    release = [a for a in annotations if RELEASE_METRIC in (a.get("expr") or "")]
    if not any(a.get("useValueForTime") and a.get("enable", True) for a in release):
        add("release-annotation", "annotations",
            f"needs an enabled annotation on {RELEASE_METRIC} with useValueForTime")
    for a in annotations:
        where = f"annotation {a.get('name')!r}"
        if a.get("builtIn"):
            continue
        if not is_datasource(a.get("datasource")):
            add("annotation", where, f"datasource must be uid {DATASOURCE_UID}")
        expr = a.get("expr") or ""
        if a.get("useValueForTime") and "_seconds" in expr and not re.search(r"\b1000\s*\*|\*\s*1000\b", expr):
            add("annotation", where, "useValueForTime reads milliseconds: multiply the *_seconds value by 1000")
        if not a.get("titleFormat"):
            add("annotation", where, "no titleFormat")

    # ---- panels
    seen_ids = {}
    for panel in iter_panels(dashboard.get("panels")):
        where = panel_where(panel)
        ptype = panel.get("type")
        pid = panel.get("id")
        if not isinstance(pid, int):
            add("panel-id", where, "no integer id")
        elif pid in seen_ids:
            add("panel-id", where, f"id {pid} also used by {seen_ids[pid]}")
        else:
            seen_ids[pid] = where
        grid = panel.get("gridPos")
        if not (isinstance(grid, dict) and all(isinstance(grid.get(k), int) for k in "hwxy")
                and grid["w"] > 0 and grid["h"] > 0 and grid["x"] >= 0 and grid["x"] + grid["w"] <= 24):
            add("gridpos", where, f"gridPos {grid!r} is not h, w, x, y within 24 columns")
        if ptype in DEPRECATED_PANEL_TYPES or ptype not in PANEL_TYPES:
            add("panel-type", where, f"panel type {ptype!r} is deprecated or unknown")
        if not panel.get("title"):
            add("title", where, "panel without a title")
        if ptype in NO_QUERY_PANEL_TYPES:
            continue
        if not is_datasource(panel.get("datasource")):
            add("panel-datasource", where, f"datasource must be uid {DATASOURCE_UID}")
        field_config = panel.get("fieldConfig") or {}
        unit = (field_config.get("defaults") or {}).get("unit")
        if not unit:
            add("unit", where, "no fieldConfig.defaults.unit")
        elif not unit_ok(unit):
            add("unit", where, f"unit {unit!r} is not a Grafana unit")
        for o in field_config.get("overrides") or []:
            for prop in o.get("properties") or []:
                if prop.get("id") == "unit" and not unit_ok(prop.get("value")):
                    add("unit", where, f"override unit {prop.get('value')!r} is not a Grafana unit")
        targets = panel.get("targets") or []
        if not targets:
            add("target", where, "no targets")
        refs = set()
        for t in targets:
            ref = t.get("refId")
            if not ref or ref in refs:
                add("target", where, f"refId {ref!r} missing or used twice")
            refs.add(ref)
            if not is_datasource(t.get("datasource")):
                add("target-datasource", f"{where} target {ref}", f"datasource must be uid {DATASOURCE_UID}")
            if not (t.get("expr") or "").strip():
                add("target", f"{where} target {ref}", "empty expr")

    # ---- queries
    used = set()
    for q in dashboard_queries(dashboard):
        try:
            selectors, _, refs = analyze(q.expr)
        except PromQLError as e:
            add("promql", q.where, f"{e}: {q.expr}")
            continue
        for ref in sorted(refs - defined):
            add("undefined-variable", q.where, f"${ref} is not defined")
        if q.kind == "target":
            used |= refs
        for s in selectors:
            if s.window is not None:
                window = s.window.strip()
                var = variable_name(window) if window.startswith("$") else None
                allowed = RANGE_WINDOWS_ANY | (RANGE_WINDOWS_INSTANT if q.instant else set())
                if var not in allowed:
                    hint = "$__rate_interval" + (" or $__range" if q.instant else " ($__range only in instant queries)")
                    add("range-window", q.where, f"window [{window}] of {s.name or 'a subquery'}: use {hint}")
            if not s.name:
                continue
            if not catalog.known(s.name):
                add("unknown-metric", q.where, f"{s.name} is neither exposed by the exporter nor a recorded rule")
                continue
            if q.kind == "variable":
                continue
            for label, var in FILTERS.items():
                if catalog.needs_filter(s.name, label) and not any(
                        lbl == label and op == "=~" and re.search(r"\$\{?" + var + r"\b", value)
                        for lbl, op, value in s.matchers):
                    add(f"{var}-filter", q.where, f'{s.name} has {label}: filter it with {label}=~"${var}"')
    for name in ("campaign", "service"):
        if name in by_name and name not in used:
            add("unused-variable", "templating", f"no panel query uses ${name}")
    return out


def lint_file(path, catalog):
    stem = os.path.basename(path)
    stem = stem[:-5] if stem.endswith(".json") else stem
    try:
        with open(path, encoding="utf-8") as f:
            dashboard = json.load(f)
    except (OSError, ValueError) as e:
        return [Finding("json", "file", str(e))]
    return lint_dashboard(dashboard, stem, catalog)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--rules", default=DEFAULT_RULES, help="Prometheus rules file (record: names)")
    parser.add_argument("--exposed", default=DEFAULT_EXPOSED, help="families the exporter exposes")
    parser.add_argument("--list-metrics", action="store_true", help="print the metric names each file queries")
    args = parser.parse_args(argv)
    catalog = Catalog(args.exposed, args.rules)
    failed = False
    for path in args.files:
        if args.list_metrics:
            with open(path, encoding="utf-8") as f:
                print("\n".join(f"{path}: {name}" for name in sorted(metric_names(json.load(f)))))
            continue
        findings = lint_file(path, catalog)
        for finding in findings:
            print(f"{path}: [{finding.code}] {finding.where}: {finding.message}")
        failed |= bool(findings)
        if not findings:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
