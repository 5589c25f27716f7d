"""Checks of the Helm chart helm/llm-cost-exporter.

Helm is not packaged in Debian 12, so there are two layers:

* Static checks (Python 3 + PyYAML, Debian's python3-yaml): chart metadata,
  the one-source symlinks, every .Values path and .Files path the templates
  reference, probes and security settings, template delimiters.
* Render checks: the chart rendered by tests/helm/render (a small Go program on
  Debian's text/template + Sprig packages that reproduces Helm's engine; see
  its header for what it does and does not reproduce), path in
  LCE_HELM_RENDER. The output is parsed as YAML and checked kind by kind; the
  rendered config, API keys document, web config (TLS with a throwaway
  certificate from the openssl CLI, basic auth) and price tables, laid out as
  the pod's projected volume, go through the real exporter's --check-config
  (LCE_EXPORTER_BIN), which is also started on them once; the rendered
  PrometheusRule goes through promtool check rules (LCE_PROMTOOL).

A render check whose tool is missing is skipped with exit code 77 (ctest
shows it as skipped, not passed) when LCE_HELM_SKIP_MISSING=1.
"""

import base64
import fnmatch
import hashlib
import os
import re
import shutil
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
        for key in ("create", "hashedKeys", "existingSecret", "key"):
            self.assertIn(key, values["apiKeys"])
        self.assertEqual(values["apiKeys"]["key"], "api_keys.yml")
        self.assertIn("web", values)
        self.assertEqual(values["web"]["basicAuth"]["users"], {})
        self.assertIs(values["web"]["tls"]["enabled"], False)
        self.assertEqual(values["web"]["tls"]["clientAuthType"], "NoClientCert")
        self.assertIs(values["serviceMonitor"]["tlsConfig"]["insecureSkipVerify"], False)
        for key in ("existingSecret", "usernameKey", "passwordKey"):
            self.assertIn(key, values["serviceMonitor"]["basicAuth"])
        self.assertEqual(values["service"]["port"], 9477)
        self.assertEqual(values["service"]["type"], "ClusterIP")

    def test_values_document_api_keys_and_web(self):
        text = (CHART / "values.yaml").read_text(encoding="utf-8")
        block = text[text.index("\nrollOnConfigChange:"):text.index("\napiKeys:")]
        for needle in ("auth: {api_keys_file: /etc/llm-cost-exporter/secrets/<key>}", "never replaces the pod",
                       "POST /-/reload", "without dropping a request"):
            self.assertIn(needle, block)
        block = text[text.index("# TLS and basic auth"):text.index("\nweb:")]
        for needle in ("--web.config.file", "always\n# replaces the pod", "/-/healthy and /-/ready are open"):
            self.assertIn(needle, block)

    def test_no_stale_claim_that_keys_are_unused(self):
        # The exporter reads auth.api_keys_file and --web.config.file: no file of the chart may say otherwise.
        stale = re.compile(r"NOT USED YET|does not read (this file|them)|does NOT read|later issue|"
                           r"authenticates? no request|not authenticate requests", re.IGNORECASE)
        for path in [CHART / "values.yaml", *template_files()]:
            self.assertIsNone(stale.search(path.read_text(encoding="utf-8")), path.name)

    def test_required_files(self):
        for name in (".helmignore", "templates/_helpers.tpl", "templates/NOTES.txt",
                     "templates/deployment.yaml", "templates/service.yaml",
                     "templates/configmap-config.yaml", "templates/configmap-pricing.yaml",
                     "templates/secret.yaml", "templates/secret-web-config.yaml",
                     "templates/servicemonitor.yaml",
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
        # One probe block for both (rendered forms: RenderDefaults, RenderAuth).
        self.assertIn('dict "livenessProbe" "/-/healthy" "readinessProbe" "/-/ready"', self.deployment)
        self.assertRegex(self.deployment, r"httpGet:\s*\n\s*path: \{\{ \$path \}\}")
        self.assertIn("scheme: HTTPS", self.deployment)

    def test_flags(self):
        for arg in ("--config.file=/etc/llm-cost-exporter/config.yml",
                    "--pricing.dir=/etc/llm-cost-exporter/pricing",
                    "--storage.path=/var/lib/llm-cost-exporter",
                    "--web.listen-address=:9477", "--log.format=",
                    "--web.config.file=/etc/llm-cost-exporter/web/web-config.yml"):
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


def config_text(docs):
    cm = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-config")][0]
    return cm["data"]["config.yml"]


def config_of(docs):
    return yaml.safe_load(config_text(docs)) or {}


def secret_data(docs, name):
    (secret,) = [d for d in by_kind(docs, "Secret") if d["metadata"]["name"] == name]
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def pod_of(docs):
    return one(docs, "Deployment")["spec"]["template"]


def container_of(docs):
    (c,) = pod_of(docs)["spec"]["containers"]
    return c


def projected_secrets(docs):
    """The config volume's Secret sources: name -> [items]."""
    volumes = {v["name"]: v for v in pod_of(docs)["spec"]["volumes"]}
    return {s["secret"]["name"]: s["secret"]["items"] for s in volumes["config"]["projected"]["sources"]
            if "secret" in s}


def config_mount(docs):
    return {m["name"]: m for m in container_of(docs)["volumeMounts"]}["config"]["mountPath"]


# A token and its digest, and a bcrypt hash (cost 4) of "s3cret" (tests/unit/auth/web_config_test.cpp).
TOKEN = "lce-test-token-0123456789"
TOKEN_SHA256 = hashlib.sha256(TOKEN.encode()).hexdigest()
BCRYPT_S3CRET = "$2b$04$lG576jm4iA3q8MP/0VmUtOL55hqE6QWnMZVRxYIVqgXNP4qP1Qqqi"


def keys_document(digest=TOKEN_SHA256):
    return ("projects:\n  - name: growth\n    campaigns: [\"cmp_2026_*\"]\n    keys:\n"
            f"      - id: growth-2026-11\n        sha256: {digest}\n")


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
        self.assertIn("API keys: none (apiKeys is off)", self.notes)
        self.assertIn("curl -s http://localhost:9477/metrics", self.notes)

    def test_no_auth_by_default(self):
        self.assertEqual(by_kind(self.docs, "Secret"), [])
        dep = one(self.docs, "Deployment")
        (c,) = dep["spec"]["template"]["spec"]["containers"]
        self.assertFalse([a for a in c["args"] if a.startswith("--web.config.file")])
        self.assertNotIn("checksum/web-config", dep["spec"]["template"]["metadata"]["annotations"])
        self.assertNotIn("scheme", c["livenessProbe"]["httpGet"])
        self.assertNotIn("auth", config_of(self.docs))


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


class RenderAuth(RenderTest):
    """API keys (auth.api_keys_file in the config) and the web config (TLS, basic auth)."""

    KEYS_PATH = "/etc/llm-cost-exporter/secrets/api_keys.yml"
    TLS = {"enabled": True, "existingSecret": "lce-tls"}

    def test_api_keys_off_means_no_auth_in_config(self):
        for values in (None, {"apiKeys": {"create": False, "hashedKeys": keys_document()}},
                       {"config": {"content": "storage: {fsync_every_commit: true}\n"}}):
            docs, _ = render(values)
            self.assertNotIn("auth", config_of(docs), values)
            self.assertNotIn("api_keys_file", config_text(docs))
            self.assertEqual(projected_secrets(docs), {})
            self.assertEqual(by_kind(docs, "Secret"), [])

    def test_api_keys_created(self):
        docs, notes = render({"apiKeys": {"create": True, "hashedKeys": keys_document()}})
        self.assertEqual(secret_data(docs, "llm-cost-exporter-api-keys"), {"api_keys.yml": keys_document()})
        text = config_text(docs)
        shipped = CONFIG_FILE.read_text(encoding="utf-8")
        self.assertTrue(text.startswith(shipped), "the config text is kept byte for byte, the auth block appended")
        config = yaml.safe_load(text)
        self.assertEqual(config["auth"], {"api_keys_file": self.KEYS_PATH})
        self.assertEqual({k: v for k, v in config.items() if k != "auth"}, yaml.safe_load(shipped))
        # The path in the config is where the Secret's item is mounted.
        items = projected_secrets(docs)["llm-cost-exporter-api-keys"]
        self.assertEqual(items, [{"key": "api_keys.yml", "path": "secrets/api_keys.yml", "mode": 0o440}])
        self.assertEqual(config_mount(docs) + "/" + items[0]["path"], config["auth"]["api_keys_file"])
        self.assertIn("Authorization: Bearer $TOKEN", notes)
        self.assertIn(self.KEYS_PATH, notes)

    def test_api_keys_existing_secret(self):
        docs, _ = render({"apiKeys": {"existingSecret": "my-keys", "key": "hashed.yml"}})
        self.assertEqual(by_kind(docs, "Secret"), [])
        items = projected_secrets(docs)["my-keys"]
        self.assertEqual(items, [{"key": "hashed.yml", "path": "secrets/hashed.yml", "mode": 0o440}])
        self.assertEqual(config_of(docs)["auth"]["api_keys_file"], config_mount(docs) + "/secrets/hashed.yml")

    def test_api_keys_change_does_not_roll_the_pod(self):
        a, _ = render({"apiKeys": {"create": True, "hashedKeys": keys_document()}})
        b, _ = render({"apiKeys": {"create": True, "hashedKeys": keys_document("0" * 64)}})
        self.assertNotEqual(secret_data(a, "llm-cost-exporter-api-keys"), secret_data(b, "llm-cost-exporter-api-keys"))
        self.assertEqual(pod_of(a), pod_of(b), "keys rotate by reload, not by replacing the pod")
        # Turning keys on changes the config, which rolls as any config change does.
        off, _ = render()
        self.assertNotEqual(pod_of(off)["metadata"]["annotations"]["checksum/config"],
                            pod_of(a)["metadata"]["annotations"]["checksum/config"])

    def test_api_keys_merge_into_user_config(self):
        keys = {"create": True, "hashedKeys": keys_document()}
        # No trailing newline, comments, a document start marker.
        content = "---\n# ours\nstorage:\n  fsync_every_commit: true  # durable"
        docs, _ = render({"config": {"content": content}, "apiKeys": keys})
        self.assertTrue(config_text(docs).startswith(content + "\n"))
        self.assertEqual(config_of(docs), {"storage": {"fsync_every_commit": True},
                                           "auth": {"api_keys_file": self.KEYS_PATH}})
        # An auth section that already names the mounted file is kept as it is.
        content = f"auth:\n  api_keys_file: {self.KEYS_PATH}\n"
        docs, _ = render({"config": {"content": content}, "apiKeys": keys})
        self.assertEqual(config_text(docs), content)
        # Any other auth section is refused rather than merged or duplicated.
        for content in ("auth:\n  api_keys_file: keys.yml\n", "auth: {}\n", "auth:\n"):
            err = render({"config": {"content": content}, "apiKeys": keys}, expect_ok=False)
            self.assertIn("remove the auth section", err, content)
        # A text that cannot take an appended block fails the render, not the pod.
        err = render({"config": {"content": "{storage: {fsync_every_commit: true}}\n"}, "apiKeys": keys},
                     expect_ok=False)
        self.assertIn("cannot append the auth section", err)
        err = render({"config": {"content": "storage: {fsync_every_commit: true}\n...\n"}, "apiKeys": keys},
                     expect_ok=False)
        self.assertIn("cannot append the auth section", err)
        # A keys file in the config without apiKeys would name a file the pod does not have.
        err = render({"config": {"content": "auth:\n  api_keys_file: /keys.yml\n"}}, expect_ok=False)
        self.assertIn("apiKeys is not enabled", err)

    def test_api_keys_invalid_values(self):
        self.assertIn("hashedKeys is empty", render({"apiKeys": {"create": True}}, expect_ok=False))
        self.assertIn("not a YAML mapping", render({"apiKeys": {"create": True, "hashedKeys": "- a\n- b\n"}},
                                                   expect_ok=False))
        self.assertIn("Secret key and file name", render({"apiKeys": {"existingSecret": "k", "key": "../k.yml"}},
                                                         expect_ok=False))

    def test_web_config_basic_auth(self):
        values = {"web": {"basicAuth": {"users": {"prometheus": BCRYPT_S3CRET}}},
                  "serviceMonitor": {"enabled": True, "basicAuth": {"existingSecret": "lce-scrape"}}}
        docs, notes = render(values)
        self.assertEqual(yaml.safe_load(secret_data(docs, "llm-cost-exporter-web-config")["web-config.yml"]),
                         {"basic_auth_users": {"prometheus": BCRYPT_S3CRET}})
        c = container_of(docs)
        self.assertIn("--web.config.file=/etc/llm-cost-exporter/web/web-config.yml", c["args"])
        self.assertEqual(projected_secrets(docs)["llm-cost-exporter-web-config"],
                         [{"key": "web-config.yml", "path": "web/web-config.yml", "mode": 0o440}])
        # Probes stay plain HTTP and unauthenticated.
        self.assertEqual(c["livenessProbe"]["httpGet"], {"path": "/-/healthy", "port": "http"})
        self.assertEqual(c["readinessProbe"]["httpGet"], {"path": "/-/ready", "port": "http"})
        (endpoint,) = one(docs, "ServiceMonitor")["spec"]["endpoints"]
        self.assertEqual(endpoint["basicAuth"], {"username": {"name": "lce-scrape", "key": "username"},
                                                 "password": {"name": "lce-scrape", "key": "password"}})
        self.assertNotIn("scheme", endpoint)
        self.assertNotIn("tlsConfig", endpoint)
        self.assertIn("-u prometheus:PASSWORD", notes)
        # Without the scrape credentials every scrape would get 401: refused.
        err = render({"web": values["web"], "serviceMonitor": {"enabled": True}}, expect_ok=False)
        self.assertIn("serviceMonitor.basicAuth.existingSecret", err)
        custom, _ = render({"web": values["web"], "serviceMonitor": {"enabled": True, "basicAuth": {
            "existingSecret": "s", "usernameKey": "user", "passwordKey": "pass"}}})
        (endpoint,) = one(custom, "ServiceMonitor")["spec"]["endpoints"]
        self.assertEqual(endpoint["basicAuth"], {"username": {"name": "s", "key": "user"},
                                                 "password": {"name": "s", "key": "pass"}})

    def test_web_config_tls(self):
        values = {"web": {"tls": self.TLS, "basicAuth": {"users": {"prometheus": BCRYPT_S3CRET}}},
                  "serviceMonitor": {"enabled": True, "basicAuth": {"existingSecret": "lce-scrape"},
                                     "tlsConfig": {"ca": {"secret": {"name": "lce-tls", "key": "ca.crt"}}}}}
        docs, notes = render(values)
        web = yaml.safe_load(secret_data(docs, "llm-cost-exporter-web-config")["web-config.yml"])
        self.assertEqual(web["tls_server_config"], {"cert_file": "tls.crt", "key_file": "tls.key",
                                                    "min_version": "TLS12", "client_auth_type": "NoClientCert"})
        secrets = projected_secrets(docs)
        self.assertEqual(secrets["lce-tls"], [{"key": "tls.crt", "path": "web/tls.crt"},
                                              {"key": "tls.key", "path": "web/tls.key", "mode": 0o440}])
        # Relative paths in the web config resolve next to it.
        self.assertEqual({os.path.dirname(i["path"]) for i in secrets["lce-tls"]},
                         {os.path.dirname(secrets["llm-cost-exporter-web-config"][0]["path"])})
        c = container_of(docs)
        self.assertEqual(c["ports"], [{"name": "https", "containerPort": 9477, "protocol": "TCP"}])
        self.assertEqual(c["livenessProbe"]["httpGet"], {"path": "/-/healthy", "port": "https", "scheme": "HTTPS"})
        self.assertEqual(c["readinessProbe"]["httpGet"], {"path": "/-/ready", "port": "https", "scheme": "HTTPS"})
        svc = one(docs, "Service")
        self.assertEqual(svc["spec"]["ports"], [{"name": "https", "port": 9477, "targetPort": "https",
                                                  "protocol": "TCP"}])
        (endpoint,) = one(docs, "ServiceMonitor")["spec"]["endpoints"]
        self.assertEqual(endpoint["port"], "https")
        self.assertEqual(endpoint["scheme"], "https")
        self.assertEqual(endpoint["tlsConfig"], {"ca": {"secret": {"name": "lce-tls", "key": "ca.crt"}},
                                                 "serverName": "llm-cost-exporter.monitoring.svc",
                                                 "insecureSkipVerify": False})
        self.assertIn("password", endpoint["basicAuth"])
        self.assertIn("curl -sk -u prometheus:PASSWORD https://localhost:9477/metrics", notes)
        self.assertIn("scrapes /metrics over https", notes)
        self.assertIn("TLS: every endpoint is HTTPS only", notes)

    def test_web_config_rolls_the_pod(self):
        a, _ = render({"web": {"tls": self.TLS}})
        b, _ = render({"web": {"tls": dict(self.TLS, minVersion="TLS13")}})
        c, _ = render({"web": {"tls": self.TLS}, "rollOnConfigChange": False})
        sums = [pod_of(d)["metadata"]["annotations"].get("checksum/web-config") for d in (a, b, c)]
        for s in sums:
            self.assertRegex(s or "", r"^[0-9a-f]{64}$")
        self.assertNotEqual(sums[0], sums[1])
        self.assertEqual(sums[0], sums[2], "the web config is read at start: it rolls whatever rollOnConfigChange")
        self.assertNotIn("checksum/config", pod_of(c)["metadata"]["annotations"])

    def test_mutual_tls(self):
        tls = dict(self.TLS, clientAuthType="RequireAndVerifyClientCert", clientCA={"existingSecret": "lce-ca"})
        client = {"cert": {"secret": {"name": "prom-client", "key": "tls.crt"}},
                  "keySecret": {"name": "prom-client", "key": "tls.key"}}
        docs, notes = render({"web": {"tls": tls}, "serviceMonitor": {"enabled": True, "tlsConfig": client}})
        web = yaml.safe_load(secret_data(docs, "llm-cost-exporter-web-config")["web-config.yml"])
        self.assertEqual(web["tls_server_config"]["client_auth_type"], "RequireAndVerifyClientCert")
        self.assertEqual(web["tls_server_config"]["client_ca_file"], "client-ca.crt")
        self.assertEqual(projected_secrets(docs)["lce-ca"], [{"key": "ca.crt", "path": "web/client-ca.crt"}])
        c = container_of(docs)
        # The kubelet has no client certificate: the probes only connect.
        self.assertEqual(c["livenessProbe"]["tcpSocket"], {"port": "https"})
        self.assertNotIn("httpGet", c["readinessProbe"])
        (endpoint,) = one(docs, "ServiceMonitor")["spec"]["endpoints"]
        self.assertEqual(endpoint["tlsConfig"]["cert"], client["cert"])
        self.assertEqual(endpoint["tlsConfig"]["keySecret"], client["keySecret"])
        self.assertIn("--cert CLIENT.crt", notes)
        err = render({"web": {"tls": tls}, "serviceMonitor": {"enabled": True}}, expect_ok=False)
        self.assertIn("serviceMonitor.tlsConfig.cert and keySecret", err)
        err = render({"web": {"tls": dict(self.TLS, clientAuthType="RequireAndVerifyClientCert")}}, expect_ok=False)
        self.assertIn("web.tls.clientCA.existingSecret", err)

    def test_web_invalid_values(self):
        self.assertIn("web.tls.existingSecret", render({"web": {"tls": {"enabled": True}}}, expect_ok=False))
        self.assertIn("minVersion", render({"web": {"tls": dict(self.TLS, minVersion="SSL3")}}, expect_ok=False))
        self.assertIn("clientAuthType", render({"web": {"tls": dict(self.TLS, clientAuthType="Optional")}},
                                               expect_ok=False))


def materialize(docs, root, external=None):
    """Lays out the pod's config volume under root as the kubelet would under its mount path: every
    projected item of the rendered ConfigMaps and Secrets, and of `external` (the Secrets the chart only
    names, e.g. the TLS Secret: name -> {key: text}). Absolute paths into the mount (the flags,
    auth.api_keys_file in config.yml) are pointed at root. Returns the container's args."""
    data = {d["metadata"]["name"]: d["data"] for d in by_kind(docs, "ConfigMap")}
    data.update({d["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in d["data"].items()}
                 for d in by_kind(docs, "Secret")})
    data.update(external or {})
    mount = config_mount(docs)
    volumes = {v["name"]: v for v in pod_of(docs)["spec"]["volumes"]}
    for source in volumes["config"]["projected"]["sources"]:
        ((_, ref),) = source.items()
        for item in ref["items"]:
            target = Path(root, item["path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(data[ref["name"]][item["key"]], encoding="utf-8")
    config = Path(root, "config.yml")
    config.write_text(config.read_text(encoding="utf-8").replace(mount + "/", str(root) + "/"), encoding="utf-8")
    return [a.replace(mount + "/", str(root) + "/")
             .replace("/var/lib/llm-cost-exporter", str(Path(root).parent / "ledger"))
            for a in container_of(docs)["args"]]


def self_signed_cert(directory, name="llm-cost-exporter.monitoring.svc"):
    """A throwaway certificate and key (PEM) made with the openssl CLI: (cert text, key text)."""
    crt, key = Path(directory, "tls.crt"), Path(directory, "tls.key")
    if not shutil.which("openssl"):
        raise AssertionError("the openssl CLI is missing (Debian: openssl; scripts/install-deps.sh --test)")
    proc = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                           "-keyout", str(key), "-out", str(crt)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError("openssl req failed: " + proc.stderr)
    return crt.read_text(encoding="utf-8"), key.read_text(encoding="utf-8")


class ExporterAcceptsRendered(RenderTest):
    """The real binary takes the rendered flags, config, keys document, web config and price tables."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not EXPORTER:
            raise unittest.SkipTest("LCE_EXPORTER_BIN is not set")
        if not os.access(EXPORTER, os.X_OK):
            raise AssertionError(f"{EXPORTER} is not built")

    def check_config(self, docs, external=None):
        """Runs --check-config on the rendered files laid out as in the pod: (exit code, output)."""
        with tempfile.TemporaryDirectory() as tmp:
            etc = Path(tmp, "etc")
            args = materialize(docs, etc, external)
            proc = subprocess.run([EXPORTER, *args, "--check-config"], capture_output=True, text=True, timeout=60)
        return proc.returncode, (proc.stdout + proc.stderr).replace(str(etc), "/etc/llm-cost-exporter")

    def test_check_config(self):
        docs, _ = render({"pricing": {"extraTables": {"acme_ai.yaml": (
            "provider: acme-ai\ncurrency: USD\nversions:\n  - effective_from: 2026-01-01\n"
            "    models:\n      acme-large: {per_million_tokens: {input: 1.00, output: 4.00}}\n")}}})
        code, out = self.check_config(docs)
        self.assertEqual(code, 0, out)
        # The shipped tables plus the extra one were all read.
        baseline = subprocess.run([EXPORTER, "--check-config", f"--config.file={CONFIG_FILE}",
                                   f"--pricing.dir={PRICING_DIR}"], capture_output=True, text=True, timeout=60)
        self.assertEqual(baseline.returncode, 0, baseline.stdout + baseline.stderr)
        count = re.compile(r"(\d+) price table versions? found")
        self.assertEqual(int(count.search(out).group(1)), int(count.search(baseline.stdout).group(1)) + 1, out)
        self.assertNotIn("API keys", out)

    def test_check_config_with_api_keys(self):
        docs, _ = render({"apiKeys": {"create": True, "hashedKeys": keys_document()}})
        code, out = self.check_config(docs)
        self.assertEqual(code, 0, out)
        self.assertIn("SUCCESS: 1 API keys in /etc/llm-cost-exporter/secrets/api_keys.yml", out)
        # The same document from an existing Secret under another key.
        docs, _ = render({"apiKeys": {"existingSecret": "my-keys", "key": "hashed.yml"}})
        code, out = self.check_config(docs, {"my-keys": {"hashed.yml": keys_document()}})
        self.assertEqual(code, 0, out)
        self.assertIn("1 API keys in /etc/llm-cost-exporter/secrets/hashed.yml", out)

    def test_broken_digest_fails(self):
        # The chart does not validate digests; the exporter must refuse them (and so would a reload).
        for digest in (TOKEN_SHA256[:-1], TOKEN_SHA256[:-1] + "g"):
            docs, _ = render({"apiKeys": {"create": True, "hashedKeys": keys_document(digest)}})
            code, out = self.check_config(docs)
            self.assertNotEqual(code, 0, out)
            self.assertIn("sha256 must be the SHA-256 of the key: 64 hex digits", out)

    def test_check_web_config_basic_auth(self):
        docs, _ = render({"web": {"basicAuth": {"users": {"prometheus": BCRYPT_S3CRET}}}})
        code, out = self.check_config(docs)
        self.assertEqual(code, 0, out)
        self.assertIn("SUCCESS: /etc/llm-cost-exporter/web/web-config.yml is valid", out)
        docs, _ = render({"web": {"basicAuth": {"users": {"prometheus": "s3cret"}}}})
        code, out = self.check_config(docs)
        self.assertNotEqual(code, 0, "a plain password instead of a bcrypt hash must be refused: " + out)
        self.assertIn("must be a bcrypt hash", out)

    def test_check_web_config_tls(self):
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as other:
            crt, key = self_signed_cert(tmp)
            other_crt, _ = self_signed_cert(other, "other")
        values = {"apiKeys": {"create": True, "hashedKeys": keys_document()},
                  "web": {"basicAuth": {"users": {"prometheus": BCRYPT_S3CRET}},
                          "tls": {"enabled": True, "existingSecret": "lce-tls", "minVersion": "TLS13"}}}
        docs, _ = render(values)
        code, out = self.check_config(docs, {"lce-tls": {"tls.crt": crt, "tls.key": key}})
        self.assertEqual(code, 0, out)
        self.assertIn("SUCCESS: /etc/llm-cost-exporter/web/web-config.yml is valid", out)
        self.assertIn("SUCCESS: 1 API keys", out)
        # Mutual TLS with the client CA from another Secret.
        values["web"]["tls"].update(clientAuthType="RequireAndVerifyClientCert", clientCA={"existingSecret": "lce-ca"})
        docs, _ = render(values)
        code, out = self.check_config(docs, {"lce-tls": {"tls.crt": crt, "tls.key": key},
                                             "lce-ca": {"ca.crt": other_crt}})
        self.assertEqual(code, 0, out)
        # A key that does not belong to the certificate is refused.
        code, out = self.check_config(docs, {"lce-tls": {"tls.crt": other_crt, "tls.key": key},
                                             "lce-ca": {"ca.crt": other_crt}})
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out, r"FAILED: .*web-config.yml: .*key_file")

    def test_rendered_pod_serves_tls_basic_auth_and_keys(self):
        """The exporter started on the rendered files: the probe paths answer without credentials over
        HTTPS, /metrics needs the basic auth user, /v1/spend the API key."""
        import socket
        import ssl
        import time
        import urllib.error
        import urllib.request
        with tempfile.TemporaryDirectory() as tmp:
            crt, key = self_signed_cert(tmp)
            docs, _ = render({"apiKeys": {"create": True, "hashedKeys": keys_document()},
                              "web": {"basicAuth": {"users": {"prometheus": BCRYPT_S3CRET}},
                                      "tls": {"enabled": True, "existingSecret": "lce-tls"}}})
            etc = Path(tmp, "etc")
            args = materialize(docs, etc, {"lce-tls": {"tls.crt": crt, "tls.key": key}})
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            args = [f"--web.listen-address=127.0.0.1:{port}" if a.startswith("--web.listen-address=") else a
                    for a in args]
            proc = subprocess.Popen([EXPORTER, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            context = ssl.create_default_context(cafile=str(Path(tmp, "tls.crt")))
            context.check_hostname = False  # 127.0.0.1 is not the certificate's name; the chain is verified

            def get(path, headers=None):
                request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", headers=headers or {})
                try:
                    with urllib.request.urlopen(request, context=context, timeout=5) as response:
                        return response.status
                except urllib.error.HTTPError as e:
                    return e.code

            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if get("/-/ready") == 200:
                            break
                    except (urllib.error.URLError, ConnectionError, ssl.SSLError):
                        pass
                    if proc.poll() is not None or time.monotonic() > deadline:
                        self.fail("the exporter did not become ready: " + (proc.stderr.read() if proc.poll() is not None
                                                                           else "timeout"))
                    time.sleep(0.2)
                self.assertEqual(get("/-/healthy"), 200)
                self.assertEqual(get("/metrics"), 401)
                basic = "Basic " + base64.b64encode(b"prometheus:s3cret").decode()
                self.assertEqual(get("/metrics", {"Authorization": basic}), 200)
                self.assertEqual(get("/v1/spend"), 401)
                self.assertEqual(get("/v1/spend", {"Authorization": "Bearer " + TOKEN}), 200)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                proc.stderr.close()


if __name__ == "__main__":
    unittest.main()
