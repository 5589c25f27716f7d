"""Checks of the Helm chart helm/llm-cost-exporter.

Helm is not packaged in Debian 12, so there are two layers:

* Static checks (Python 3 + PyYAML, Debian's python3-yaml): chart metadata,
  the one-source symlinks, every .Values path and .Files path the templates
  reference, probes and security settings, template delimiters.
* Render checks: the chart rendered by tests/helm/render (a small Go program on
  Debian's text/template + Sprig packages that reproduces Helm's engine; see
  its header for what it does and does not reproduce), path in
  LCE_HELM_RENDER. The output is parsed as YAML and checked kind by kind; the
  rendered config and price tables go through the real exporter's
  --check-config (LCE_EXPORTER_BIN) and the rendered PrometheusRule through
  promtool check rules (LCE_PROMTOOL).

A render check whose tool is missing is skipped with exit code 77 (ctest
shows it as skipped, not passed) when LCE_HELM_SKIP_MISSING=1.
"""

import base64
import fnmatch
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - reported as a failure, with the fix
    sys.stderr.write("PyYAML is missing: install Debian's python3-yaml\n")
    sys.exit(1)

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "llm-cost-exporter"
TEMPLATES = CHART / "templates"
RULES_FILE = REPO / "config" / "prometheus" / "llm_cost_exporter.rules.yml"
CONFIG_FILE = REPO / "config" / "llm_cost_exporter.yml"
PRICING_DIR = REPO / "pricing"
DASHBOARDS_DIR = REPO / "grafana" / "dashboards"

# The chart's one-source links: path in the chart -> shipped path in the repo.
EXPECTED_LINKS = {
    "files/llm_cost_exporter.rules.yml": "config/prometheus/llm_cost_exporter.rules.yml",
    "files/config.yml": "config/llm_cost_exporter.yml",
    "files/pricing": "pricing",
    "files/dashboards": "grafana/dashboards",
}

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def project_version():
    text = (REPO / "CMakeLists.txt").read_text(encoding="utf-8")
    m = re.search(r"project\s*\(\s*llm_cost_exporter\b[^)]*?\bVERSION\s+([0-9][0-9A-Za-z.\-+]*)", text)
    if not m:
        raise AssertionError("no project(llm_cost_exporter VERSION x.y.z) in CMakeLists.txt")
    return m.group(1)


def template_files():
    return sorted(p for p in TEMPLATES.iterdir() if p.is_file())


def template_actions(text):
    """Yields the body of every {{ ... }} action, trim markers and comments removed."""
    i = 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            return
        end = text.find("}}", start + 2)
        if end < 0:
            raise AssertionError(f"unclosed '{{{{' at offset {start}")
        body = text[start + 2:end]
        if body.startswith("-"):
            body = body[1:]
        if body.endswith("-"):
            body = body[:-1]
        body = body.strip()
        if body.startswith("/*"):
            close = text.find("*/", start)
            if close < 0:
                raise AssertionError(f"unclosed comment at offset {start}")
            end = text.find("}}", close)
            i = end + 2
            continue
        yield body
        i = end + 2


def values_paths(text):
    """Every .Values.a.b.c path (dotted identifiers) referenced in a template."""
    return set(re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text))


class ChartMetadata(unittest.TestCase):
    def test_chart_yaml(self):
        chart = load_yaml(CHART / "Chart.yaml")
        for key in ("apiVersion", "name", "version", "appVersion", "description", "type"):
            self.assertIn(key, chart, f"Chart.yaml lacks {key}")
        self.assertEqual(chart["apiVersion"], "v2")
        self.assertEqual(chart["name"], "llm-cost-exporter")
        self.assertEqual(chart["type"], "application")
        self.assertRegex(str(chart["version"]), r"^\d+\.\d+\.\d+")
        self.assertIsInstance(chart["appVersion"], str, "appVersion must be a quoted string")

    def test_app_version_is_project_version(self):
        chart = load_yaml(CHART / "Chart.yaml")
        self.assertEqual(chart["appVersion"], project_version(),
                         "Chart.yaml appVersion must equal project(... VERSION) in CMakeLists.txt")

    def test_values_yaml(self):
        values = load_yaml(CHART / "values.yaml")
        for key in ("image", "replicaCount", "log", "config", "pricing", "apiKeys", "persistence",
                    "service", "serviceMonitor", "prometheusRule", "dashboards", "resources",
                    "podSecurityContext", "securityContext", "terminationGracePeriodSeconds",
                    "rollOnConfigChange"):
            self.assertIn(key, values, f"values.yaml lacks {key}")
        self.assertEqual(values["replicaCount"], 1)
        self.assertEqual(set(values["image"]), {"repository", "tag", "pullPolicy"})
        self.assertIs(values["serviceMonitor"]["enabled"], False)
        self.assertIs(values["prometheusRule"]["enabled"], False)
        for key in ("interval", "labels"):
            self.assertIn(key, values["serviceMonitor"])
        self.assertIn("labels", values["prometheusRule"])
        for key in ("enabled", "existingClaim", "storageClass", "size"):
            self.assertIn(key, values["persistence"])
        for key in ("label", "labelValue", "folder", "folderAnnotation"):
            self.assertIn(key, values["dashboards"])
        self.assertEqual(values["dashboards"]["label"], "grafana_dashboard")
        self.assertEqual(values["dashboards"]["labelValue"], "1")
        self.assertIn("existingSecret", values["apiKeys"])
        self.assertEqual(values["service"]["port"], 9477)
        self.assertEqual(values["service"]["type"], "ClusterIP")

    def test_values_comments_are_honest_about_api_keys(self):
        text = (CHART / "values.yaml").read_text(encoding="utf-8")
        block = text[text.index("apiKeys:") - 800:text.index("apiKeys:")]
        self.assertIn("NOT USED YET", block)
        self.assertIn("does not read this file", block)

    def test_required_files(self):
        for name in (".helmignore", "templates/_helpers.tpl", "templates/NOTES.txt",
                     "templates/deployment.yaml", "templates/service.yaml",
                     "templates/configmap-config.yaml", "templates/configmap-pricing.yaml",
                     "templates/secret.yaml", "templates/servicemonitor.yaml",
                     "templates/prometheusrule.yaml", "templates/dashboards-configmap.yaml",
                     "templates/pvc.yaml"):
            self.assertTrue((CHART / name).is_file(), name)
        ignore = (CHART / ".helmignore").read_text(encoding="utf-8").split("\n")
        for pattern in ignore:
            pattern = pattern.strip()
            if not pattern or pattern.startswith("#"):
                continue
            self.assertFalse(fnmatch.fnmatch("files", pattern.rstrip("/")) or pattern.startswith("files"),
                             f".helmignore pattern {pattern!r} would drop files/")


class Symlinks(unittest.TestCase):
    def test_expected_links(self):
        for link, target in EXPECTED_LINKS.items():
            path = CHART / link
            self.assertTrue(path.is_symlink(), f"{link} must be a symlink to {target} (one source)")
            self.assertEqual(path.resolve(), (REPO / target).resolve(), link)

    def test_every_link_resolves_to_a_shipped_file(self):
        links = [p for p in CHART.rglob("*") if p.is_symlink()]
        self.assertTrue(links)
        for link in links:
            raw = os.readlink(link)
            self.assertFalse(os.path.isabs(raw), f"{link}: absolute link {raw} breaks in a clone")
            self.assertTrue(link.exists(), f"{link} -> {raw} is dangling (Helm refuses to load the chart)")
            resolved = link.resolve()
            rel = resolved.relative_to(REPO)  # raises if outside the repository
            self.assertNotIn(rel.parts[0], ("build", ".git", "helm"), f"{link} -> {rel}")
            if resolved.is_dir():
                self.assertTrue(any(resolved.iterdir()) or rel == Path("grafana/dashboards"),
                                f"{link} -> {rel} is an empty directory")

    def test_no_copies_of_shipped_files(self):
        shipped = {hashlib.sha256(p.read_bytes()).hexdigest(): p
                   for p in [RULES_FILE, CONFIG_FILE, *PRICING_DIR.glob("*.y*ml"),
                             *DASHBOARDS_DIR.glob("*.json")] if p.is_file()}
        for path in CHART.rglob("*"):
            if path.is_symlink() or any(part.is_symlink() for part in path.parents):
                continue
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                self.assertNotIn(digest, shipped, f"{path} is a copy of {shipped.get(digest)}")


class TemplateReferences(unittest.TestCase):
    def setUp(self):
        self.values = load_yaml(CHART / "values.yaml")

    def test_every_values_path_exists(self):
        seen = 0
        for path in template_files():
            for dotted in values_paths(path.read_text(encoding="utf-8")):
                node = self.values
                walked = ""
                for key in dotted.strip(".").split("."):
                    walked += "." + key
                    self.assertIsInstance(node, dict, f"{path.name}: .Values{walked}: parent is not a map")
                    self.assertIn(key, node, f"{path.name}: .Values{walked} is not in values.yaml")
                    node = node[key]
                seen += 1
        self.assertGreater(seen, 40)

    def test_every_files_path_resolves(self):
        gets = globs = 0
        for path in template_files():
            text = path.read_text(encoding="utf-8")
            for name in re.findall(r'\.Files\.Get\s+"([^"]+)"', text):
                gets += 1
                self.assertTrue((CHART / name).is_file(), f"{path.name}: .Files.Get {name} does not resolve")
            for pattern in re.findall(r'\.Files\.Glob\s+"([^"]+)"', text):
                globs += 1
                directory = CHART / os.path.dirname(pattern)
                self.assertTrue(directory.is_dir(), f"{path.name}: .Files.Glob {pattern}: no directory")
        self.assertGreaterEqual(gets, 2)
        self.assertGreaterEqual(globs, 3)
        self.assertTrue(list((CHART / "files" / "pricing").glob("*.yaml")), "no price table to ship")

    def test_rules_never_go_through_tpl(self):
        for path in template_files():
            for action in template_actions(path.read_text(encoding="utf-8")):
                self.assertNotRegex(action, r"(^|[\s(|])tpl\s", f"{path.name}: tpl would expand the "
                                    "Prometheus templates ($labels) of the rules")

    def test_delimiters_balance(self):
        openers = ("if", "range", "with", "define", "block")
        for path in template_files():
            text = path.read_text(encoding="utf-8")
            self.assertEqual(text.count("{{"), text.count("}}"), f"{path.name}: '{{{{' and '}}}}' differ")
            depth = []
            for action in template_actions(text):
                word = action.split(None, 1)[0] if action else ""
                if path.suffix == ".tpl" and not depth:
                    self.assertEqual(word, "define", f"{path.name}: {action!r} outside a define")
                if word in openers:
                    depth.append(word)
                elif word == "end":
                    self.assertTrue(depth, f"{path.name}: 'end' without an opener")
                    depth.pop()
                elif word == "else":
                    self.assertTrue(depth, f"{path.name}: 'else' outside a block")
            self.assertEqual(depth, [], f"{path.name}: unclosed {depth}")


class DeploymentSettings(unittest.TestCase):
    """What the Deployment template and values promise, before rendering."""

    def setUp(self):
        self.deployment = (TEMPLATES / "deployment.yaml").read_text(encoding="utf-8")
        self.values = load_yaml(CHART / "values.yaml")

    def test_probes(self):
        self.assertRegex(self.deployment, r"livenessProbe:\s*\n\s*httpGet:\s*\n\s*path: /-/healthy")
        self.assertRegex(self.deployment, r"readinessProbe:\s*\n\s*httpGet:\s*\n\s*path: /-/ready")

    def test_flags(self):
        for arg in ("--config.file=/etc/llm-cost-exporter/config.yml",
                    "--pricing.dir=/etc/llm-cost-exporter/pricing",
                    "--storage.path=/var/lib/llm-cost-exporter",
                    "--web.listen-address=:9477", "--log.format="):
            self.assertIn("- " + arg, self.deployment)
        self.assertEqual(self.values["log"]["format"], "json")

    def test_security(self):
        pod = self.values["podSecurityContext"]
        self.assertIs(pod["runAsNonRoot"], True)
        self.assertEqual(pod["runAsUser"], 65532)
        self.assertEqual(pod["fsGroup"], 65532)
        self.assertEqual(pod["seccompProfile"], {"type": "RuntimeDefault"})
        c = self.values["securityContext"]
        self.assertIs(c["runAsNonRoot"], True)
        self.assertEqual(c["runAsUser"], 65532)
        self.assertIs(c["readOnlyRootFilesystem"], True)
        self.assertIs(c["allowPrivilegeEscalation"], False)
        self.assertEqual(c["capabilities"], {"drop": ["ALL"]})
        self.assertEqual(c["seccompProfile"], {"type": "RuntimeDefault"})
        self.assertIn("toYaml .Values.podSecurityContext", self.deployment)
        self.assertIn("toYaml .Values.securityContext", self.deployment)

    def test_single_writer(self):
        self.assertRegex(self.deployment, r"strategy:\s*\n\s*type: Recreate")
        self.assertIn("fail", self.deployment.split("apiVersion")[0])
        self.assertGreater(self.values["terminationGracePeriodSeconds"], 30)


# ---------------------------------------------------------------- rendering

RENDER = os.environ.get("LCE_HELM_RENDER", "")
EXPORTER = os.environ.get("LCE_EXPORTER_BIN", "")
PROMTOOL = os.environ.get("LCE_PROMTOOL", "")
if PROMTOOL.endswith("NOTFOUND"):  # CMake's find_program found none
    PROMTOOL = ""


def render(values=None, release="llm-cost-exporter", namespace="monitoring", expect_ok=True):
    """Renders the chart; returns (documents, notes text) or the error text."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [RENDER, "-chart", str(CHART), "-release", release, "-namespace", namespace,
               "-notes", os.path.join(tmp, "NOTES.txt")]
        if values is not None:
            values_file = os.path.join(tmp, "values.yaml")
            with open(values_file, "w", encoding="utf-8") as f:
                yaml.safe_dump(values, f)
            cmd += ["-f", values_file]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if not expect_ok:
            if proc.returncode == 0:
                raise AssertionError("rendering succeeded but was expected to fail")
            return proc.stderr
        if proc.returncode != 0:
            raise AssertionError(f"render failed: {proc.stderr}")
        docs = [d for d in yaml.safe_load_all(proc.stdout) if d is not None]
        notes = Path(tmp, "NOTES.txt").read_text(encoding="utf-8")
    return docs, notes


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def one(docs, kind):
    found = by_kind(docs, kind)
    if len(found) != 1:
        raise AssertionError(f"expected one {kind}, found {len(found)}")
    return found[0]


def shipped_dashboards():
    return sorted(DASHBOARDS_DIR.glob("*.json")) if DASHBOARDS_DIR.is_dir() else []


def shipped_pricing():
    return sorted(p for p in PRICING_DIR.iterdir() if p.suffix in (".yaml", ".yml"))


class RenderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not RENDER:
            raise unittest.SkipTest("LCE_HELM_RENDER is not set")
        if not os.access(RENDER, os.X_OK):
            raise AssertionError(f"{RENDER} is not built (ctest runs helm:render:build first)")


class RenderDefaults(RenderTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs, cls.notes = render()

    def test_kinds(self):
        kinds = sorted(d["kind"] for d in self.docs)
        expected = sorted(["ConfigMap"] * (2 + len(shipped_dashboards())) +
                          ["Deployment", "Service", "PersistentVolumeClaim"])
        self.assertEqual(kinds, expected)

    def test_every_document_is_well_formed(self):
        for doc in self.docs:
            for key in ("apiVersion", "kind", "metadata"):
                self.assertIn(key, doc)
            meta = doc["metadata"]
            self.assertRegex(meta["name"], DNS1123_LABEL)
            self.assertLessEqual(len(meta["name"]), 63)
            self.assertEqual(meta["namespace"], "monitoring")
            for key, value in meta.get("labels", {}).items():
                self.assertIsInstance(value, str, f"{meta['name']}: label {key} is not a string")
                self.assertRegex(value, LABEL_VALUE, f"{meta['name']}: label {key}={value}")
                self.assertLessEqual(len(value), 63)
            for value in meta.get("annotations", {}).values():
                self.assertIsInstance(value, str)

    def test_deployment(self):
        dep = one(self.docs, "Deployment")
        spec = dep["spec"]
        self.assertEqual(spec["replicas"], 1)
        self.assertEqual(spec["strategy"], {"type": "Recreate"})
        pod = spec["template"]["spec"]
        self.assertEqual(spec["selector"]["matchLabels"].items() - spec["template"]["metadata"]["labels"].items(),
                         set())
        self.assertEqual(pod["terminationGracePeriodSeconds"], 60)
        self.assertIs(pod["automountServiceAccountToken"], False)
        psc = pod["securityContext"]
        self.assertIs(psc["runAsNonRoot"], True)
        self.assertEqual(psc["runAsUser"], 65532)
        self.assertEqual(psc["fsGroup"], 65532)
        self.assertEqual(psc["seccompProfile"]["type"], "RuntimeDefault")
        (c,) = pod["containers"]
        chart = load_yaml(CHART / "Chart.yaml")
        self.assertEqual(c["image"], f"llm-cost-exporter:{chart['appVersion']}")
        self.assertEqual(c["args"][:5], [
            "--config.file=/etc/llm-cost-exporter/config.yml",
            "--pricing.dir=/etc/llm-cost-exporter/pricing",
            "--storage.path=/var/lib/llm-cost-exporter",
            "--web.listen-address=:9477",
            "--log.level=info"])
        self.assertIn("--log.format=json", c["args"])
        self.assertEqual(c["ports"], [{"name": "http", "containerPort": 9477, "protocol": "TCP"}])
        self.assertEqual(c["livenessProbe"]["httpGet"], {"path": "/-/healthy", "port": "http"})
        self.assertEqual(c["readinessProbe"]["httpGet"], {"path": "/-/ready", "port": "http"})
        sc = c["securityContext"]
        self.assertIs(sc["runAsNonRoot"], True)
        self.assertEqual(sc["runAsUser"], 65532)
        self.assertIs(sc["readOnlyRootFilesystem"], True)
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertEqual(sc["seccompProfile"]["type"], "RuntimeDefault")
        self.assertIn("memory", c["resources"]["limits"])
        mounts = {m["name"]: m for m in c["volumeMounts"]}
        self.assertEqual(mounts["config"]["mountPath"], "/etc/llm-cost-exporter")
        self.assertEqual(mounts["ledger"]["mountPath"], "/var/lib/llm-cost-exporter")
        self.assertEqual(mounts["tmp"]["mountPath"], "/tmp")
        for m in c["volumeMounts"]:
            self.assertNotIn("subPath", m, "subPath mounts never receive ConfigMap updates")
        volumes = {v["name"]: v for v in pod["volumes"]}
        pvc = one(self.docs, "PersistentVolumeClaim")
        self.assertEqual(volumes["ledger"]["persistentVolumeClaim"]["claimName"], pvc["metadata"]["name"])
        annotations = spec["template"]["metadata"]["annotations"]
        self.assertRegex(annotations["checksum/config"], r"^[0-9a-f]{64}$")
        self.assertRegex(annotations["checksum/pricing"], r"^[0-9a-f]{64}$")

    def test_projected_files_match_configmaps(self):
        dep = one(self.docs, "Deployment")
        volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
        sources = volumes["config"]["projected"]["sources"]
        cms = {d["metadata"]["name"]: d for d in by_kind(self.docs, "ConfigMap")}
        paths = []
        for source in sources:
            self.assertIn("configMap", source, "no Secret is mounted by default")
            cm = cms[source["configMap"]["name"]]
            self.assertEqual(sorted(i["key"] for i in source["configMap"]["items"]), sorted(cm["data"]))
            paths += [i["path"] for i in source["configMap"]["items"]]
        self.assertEqual(sorted(paths), sorted(["config.yml"] + [f"pricing/{p.name}" for p in shipped_pricing()]))

    def test_config_is_the_shipped_file(self):
        cm = [d for d in by_kind(self.docs, "ConfigMap") if d["metadata"]["name"].endswith("-config")][0]
        self.assertEqual(cm["data"], {"config.yml": CONFIG_FILE.read_text(encoding="utf-8")})

    def test_pricing_is_every_shipped_table(self):
        cm = [d for d in by_kind(self.docs, "ConfigMap") if d["metadata"]["name"].endswith("-pricing")][0]
        self.assertEqual(cm["data"], {p.name: p.read_text(encoding="utf-8") for p in shipped_pricing()})

    def test_dashboards_for_the_sidecar(self):
        cms = [d for d in by_kind(self.docs, "ConfigMap") if "grafana_dashboard" in d["metadata"]["labels"]]
        self.assertEqual(len(cms), len(shipped_dashboards()))
        rendered = {}
        for cm in cms:
            self.assertEqual(cm["metadata"]["labels"]["grafana_dashboard"], "1")
            self.assertNotIn("annotations", cm["metadata"], "no folder by default")
            self.assertEqual(len(cm["data"]), 1)
            rendered.update(cm["data"])
        self.assertEqual(rendered, {p.name: p.read_text(encoding="utf-8") for p in shipped_dashboards()})

    def test_service(self):
        svc = one(self.docs, "Service")
        self.assertEqual(svc["spec"]["type"], "ClusterIP")
        self.assertEqual(svc["spec"]["ports"], [{"name": "http", "port": 9477, "targetPort": "http",
                                                  "protocol": "TCP"}])
        dep = one(self.docs, "Deployment")
        self.assertEqual(svc["spec"]["selector"], dep["spec"]["selector"]["matchLabels"])

    def test_pvc(self):
        pvc = one(self.docs, "PersistentVolumeClaim")
        self.assertEqual(pvc["spec"]["accessModes"], ["ReadWriteOnce"])
        self.assertEqual(pvc["spec"]["resources"]["requests"]["storage"], "5Gi")
        self.assertNotIn("storageClassName", pvc["spec"])
        self.assertEqual(pvc["metadata"]["annotations"]["helm.sh/resource-policy"], "keep")

    def test_notes(self):
        self.assertIn("kubectl -n monitoring port-forward svc/llm-cost-exporter 9477:9477", self.notes)
        self.assertIn("/v1/usage", self.notes)
        self.assertIn("/metrics", self.notes)
        self.assertNotIn("WARNING", self.notes)


class RenderMonitoring(RenderTest):
    VALUES = {
        "serviceMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True, "labels": {"role": "alert-rules"}},
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs, cls.notes = render(cls.VALUES)

    def test_kinds(self):
        kinds = sorted(d["kind"] for d in self.docs)
        expected = sorted(["ConfigMap"] * (2 + len(shipped_dashboards())) +
                          ["Deployment", "Service", "PersistentVolumeClaim", "ServiceMonitor", "PrometheusRule"])
        self.assertEqual(kinds, expected)

    def test_prometheus_rule_is_the_rules_file(self):
        rule = one(self.docs, "PrometheusRule")
        self.assertEqual(rule["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(rule["metadata"]["labels"]["role"], "alert-rules")
        self.assertEqual(rule["spec"], {"groups": load_yaml(RULES_FILE)["groups"]})
        annotations = [r["annotations"]["description"] for g in rule["spec"]["groups"]
                       for r in g["rules"] if "alert" in r]
        self.assertTrue(any("{{ $labels.campaign_id }}" in a for a in annotations),
                        "Prometheus alert templates must pass through verbatim")

    def test_service_monitor(self):
        sm = one(self.docs, "ServiceMonitor")
        svc = one(self.docs, "Service")
        self.assertEqual(sm["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(sm["metadata"]["labels"]["release"], "kube-prometheus-stack")
        selector = sm["spec"]["selector"]["matchLabels"]
        self.assertEqual(selector.items() - svc["metadata"]["labels"].items(), set())
        self.assertEqual(sm["spec"]["namespaceSelector"], {"matchNames": ["monitoring"]})
        (endpoint,) = sm["spec"]["endpoints"]
        self.assertEqual(endpoint["port"], svc["spec"]["ports"][0]["name"])
        self.assertEqual(endpoint["path"], "/metrics")
        self.assertEqual(endpoint["interval"], "15s")
        self.assertNotIn("jobLabel", sm["spec"])

    def test_job_matches_exporter_down_alert(self):
        # Without jobLabel the Prometheus Operator names the job after the Service.
        expr = [r["expr"] for g in load_yaml(RULES_FILE)["groups"] for r in g["rules"]
                if r.get("alert") == "LLMCostExporterDown"][0]
        pattern = re.search(r'job=~"([^"]+)"', expr).group(1)
        for release in ("llm-cost-exporter", "prod", "team-a-costs"):
            docs, _ = render(self.VALUES, release=release)
            job = one(docs, "Service")["metadata"]["name"]
            self.assertRegex(job, "^(?:" + pattern + ")$", f"release {release}: job {job}")

    def test_promtool_accepts_rendered_rule(self):
        if not PROMTOOL:
            self.skipTest("LCE_PROMTOOL is not set")
        rule = one(self.docs, "PrometheusRule")
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            yaml.safe_dump(rule["spec"], f, sort_keys=False)
        try:
            proc = subprocess.run([PROMTOOL, "check", "rules", f.name], capture_output=True, text=True,
                                  timeout=60)
        finally:
            os.unlink(f.name)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


class RenderOptions(RenderTest):
    def test_persistence_disabled(self):
        docs, notes = render({"persistence": {"enabled": False}})
        self.assertEqual(by_kind(docs, "PersistentVolumeClaim"), [])
        volumes = {v["name"]: v for v in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["ledger"], {"name": "ledger", "emptyDir": {}})
        self.assertIn("WARNING: persistence.enabled=false", notes)

    def test_existing_claim(self):
        docs, _ = render({"persistence": {"existingClaim": "ledger-pvc", "storageClass": "fast"}})
        self.assertEqual(by_kind(docs, "PersistentVolumeClaim"), [])
        volumes = {v["name"]: v for v in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["ledger"]["persistentVolumeClaim"]["claimName"], "ledger-pvc")

    def test_storage_class(self):
        docs, _ = render({"persistence": {"storageClass": "fast", "size": "20Gi"}})
        pvc = one(docs, "PersistentVolumeClaim")
        self.assertEqual(pvc["spec"]["storageClassName"], "fast")
        self.assertEqual(pvc["spec"]["resources"]["requests"]["storage"], "20Gi")
        docs, _ = render({"persistence": {"storageClass": "-"}})
        self.assertEqual(one(docs, "PersistentVolumeClaim")["spec"]["storageClassName"], "")

    def test_more_than_one_replica_is_refused(self):
        self.assertIn("single-writer", render({"replicaCount": 2}, expect_ok=False))
        docs, _ = render({"replicaCount": 0})
        self.assertEqual(one(docs, "Deployment")["spec"]["replicas"], 0)

    def test_api_keys_secret(self):
        docs, notes = render({"apiKeys": {"create": True, "hashedKeys": "keys:\n  - sha256: abc\n"}})
        secret = one(docs, "Secret")
        self.assertEqual(base64.b64decode(secret["data"]["api_keys.yml"]).decode(), "keys:\n  - sha256: abc\n")
        dep = one(docs, "Deployment")
        volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
        secrets = [s["secret"] for s in volumes["config"]["projected"]["sources"] if "secret" in s]
        self.assertEqual(secrets, [{"name": secret["metadata"]["name"],
                                    "items": [{"key": "api_keys.yml", "path": "secrets/api_keys.yml",
                                               "mode": 0o440}]}])
        args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertFalse([a for a in args if "key" in a], "the exporter has no API-key flag yet")
        self.assertIn("does NOT read them", notes)

    def test_api_keys_existing_secret(self):
        docs, _ = render({"apiKeys": {"existingSecret": "my-keys", "key": "hashed.yml"}})
        self.assertEqual(by_kind(docs, "Secret"), [])
        volumes = {v["name"]: v for v in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
        secrets = [s["secret"] for s in volumes["config"]["projected"]["sources"] if "secret" in s]
        self.assertEqual(secrets[0]["name"], "my-keys")
        self.assertEqual(secrets[0]["items"][0]["path"], "secrets/hashed.yml")

    def test_api_keys_create_without_keys_fails(self):
        self.assertIn("hashedKeys is empty", render({"apiKeys": {"create": True}}, expect_ok=False))

    def test_config_override_and_checksum(self):
        default_docs, _ = render()
        text = "budgets:\n  default: {limit_usd: 10, period: daily, time_zone: UTC, action: deny}\n"
        docs, _ = render({"config": {"content": text}})
        cm = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-config")][0]
        self.assertEqual(cm["data"], {"config.yml": text})

        def checksums(d):
            return one(d, "Deployment")["spec"]["template"]["metadata"]["annotations"]
        self.assertNotEqual(checksums(docs)["checksum/config"], checksums(default_docs)["checksum/config"])
        self.assertEqual(checksums(docs)["checksum/pricing"], checksums(default_docs)["checksum/pricing"])

    def test_no_roll_on_config_change(self):
        docs, _ = render({"rollOnConfigChange": False})
        self.assertNotIn("annotations", one(docs, "Deployment")["spec"]["template"]["metadata"])

    def test_extra_pricing_tables(self):
        extra = "provider: acme-ai\ncurrency: USD\nversions: []\n"
        docs, _ = render({"pricing": {"extraTables": {"acme_ai.yaml": extra}}})
        cm = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-pricing")][0]
        self.assertEqual(cm["data"]["acme_ai.yaml"], extra)
        self.assertEqual(len(cm["data"]), len(shipped_pricing()) + 1)
        volumes = {v["name"]: v for v in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
        paths = [i["path"] for s in volumes["config"]["projected"]["sources"] for i in s["configMap"]["items"]]
        self.assertIn("pricing/acme_ai.yaml", paths)
        docs, _ = render({"pricing": {"includeShipped": False, "extraTables": {"acme_ai.yaml": extra}}})
        cm = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-pricing")][0]
        self.assertEqual(list(cm["data"]), ["acme_ai.yaml"])
        self.assertIn("no price tables", render({"pricing": {"includeShipped": False}}, expect_ok=False))

    def test_dashboards_options(self):
        docs, _ = render({"dashboards": {"folder": "LLM costs", "label": "grafana_dashboard_x",
                                         "labelValue": "yes", "namespace": "grafana"}})
        cms = [d for d in by_kind(docs, "ConfigMap") if "grafana_dashboard_x" in d["metadata"]["labels"]]
        self.assertEqual(len(cms), len(shipped_dashboards()))
        for cm in cms:
            self.assertEqual(cm["metadata"]["labels"]["grafana_dashboard_x"], "yes")
            self.assertEqual(cm["metadata"]["annotations"], {"grafana_folder": "LLM costs"})
            self.assertEqual(cm["metadata"]["namespace"], "grafana")
        docs, _ = render({"dashboards": {"enabled": False}})
        self.assertEqual(len(by_kind(docs, "ConfigMap")), 2)

    def test_extra_args_and_log(self):
        docs, _ = render({"log": {"level": "debug", "format": "logfmt"}, "extraArgs": ["--log.level=warn"]})
        args = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertIn("--log.level=debug", args)
        self.assertIn("--log.format=logfmt", args)
        self.assertEqual(args[-1], "--log.level=warn")

    def test_image(self):
        docs, _ = render({"image": {"repository": "registry.example.com/lce", "tag": "1.2.3",
                                    "pullPolicy": "Always"}})
        c = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(c["image"], "registry.example.com/lce:1.2.3")
        self.assertEqual(c["imagePullPolicy"], "Always")

    def test_fullname_override_without_exporter_name_warns(self):
        _, notes = render({"fullnameOverride": "costs"})
        self.assertIn("WARNING: the Service name costs", notes)


class ExporterAcceptsRendered(RenderTest):
    """The real binary takes the rendered flags, config and price tables."""

    def test_check_config(self):
        if not EXPORTER:
            self.skipTest("LCE_EXPORTER_BIN is not set")
        self.assertTrue(os.access(EXPORTER, os.X_OK), f"{EXPORTER} is not built")
        docs, _ = render({"pricing": {"extraTables": {"acme_ai.yaml": (
            "provider: acme-ai\ncurrency: USD\nversions:\n  - effective_from: 2026-01-01\n"
            "    models:\n      acme-large: {per_million_tokens: {input: 1.00, output: 4.00}}\n")}}})
        cms = {d["metadata"]["name"]: d["data"] for d in by_kind(docs, "ConfigMap")}
        dep = one(docs, "Deployment")
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        with tempfile.TemporaryDirectory() as tmp:
            etc = Path(tmp, "etc")
            for source in dep["spec"]["template"]["spec"]["volumes"][0]["projected"]["sources"]:
                data = cms[source["configMap"]["name"]]
                for item in source["configMap"]["items"]:
                    target = etc / item["path"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(data[item["key"]], encoding="utf-8")
            args = [a.replace("/etc/llm-cost-exporter", str(etc))
                     .replace("/var/lib/llm-cost-exporter", str(Path(tmp, "ledger"))) for a in container["args"]]
            proc = subprocess.run([EXPORTER, *args, "--check-config"], capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        # The shipped tables plus the extra one were all read.
        baseline = subprocess.run([EXPORTER, "--check-config", f"--config.file={CONFIG_FILE}",
                                   f"--pricing.dir={PRICING_DIR}"], capture_output=True, text=True, timeout=60)
        self.assertEqual(baseline.returncode, 0, baseline.stdout + baseline.stderr)
        count = re.compile(r"(\d+) price table versions? found")
        self.assertEqual(int(count.search(proc.stdout).group(1)), int(count.search(baseline.stdout).group(1)) + 1,
                         proc.stdout)


if __name__ == "__main__":
    unittest.main()
