"""End to end: API keys, TLS and basic auth on the real binary.

The exporter runs with TLS (a CA, server certificate and key made here with
the openssl command line), basic auth for the operator endpoints
(--web.config.file) and API keys (auth.api_keys_file) for two projects. Every
API endpoint is called with no key, a wrong key, another project's key and
the right key; /metrics, the status page and /-/reload with no, wrong and right
basic-auth credentials. Two live keys of one project rotate through a reload.
Tokens are random per run and must never appear in the exporter's log.
"""
import base64
import crypt
import hashlib
import json
import os
import secrets
import shutil
import ssl
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import harness


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 signed by it (openssl CLI)."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=lce-test-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
        "-subj", "/CN=prometheus")
    run("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "client.crt", "-days", "2")


def keys_document(keys):
    """keys: {project: (campaign globs, [(key id, token), ...])}"""
    projects = []
    for project, (campaigns, project_keys) in keys.items():
        projects.append({"name": project, "campaigns": campaigns,
                         "keys": [{"id": key_id, "sha256": hashlib.sha256(token.encode()).hexdigest()}
                                  for key_id, token in project_keys]})
    return json.dumps({"projects": projects})


class Client:
    def __init__(self, base_url, ca_file):
        self.base_url = base_url
        self.context = ssl.create_default_context(cafile=ca_file)

    def call(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.context) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def usage(event_id, campaign):
    return {"event": "llm.call", "event_id": event_id, "campaign_id": campaign, "vendor": "acme-ai",
            "model": "acme-small", "token_usage": {"input": 1000, "output": 0}}


def otlp_span(campaign):
    """One OTLP/HTTP JSON span with GenAI usage for `campaign`, fresh ids each call."""
    attributes = [{"key": "gen_ai.request.model", "value": {"stringValue": "acme-small"}},
                  {"key": "gen_ai.system", "value": {"stringValue": "acme-ai"}},
                  {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000"}},
                  {"key": "campaign_id", "value": {"stringValue": campaign}}]
    span = {"traceId": secrets.token_hex(16), "spanId": secrets.token_hex(8), "name": "chat acme-small",
            "startTimeUnixNano": "1764590000000000000", "endTimeUnixNano": "1764590000500000000",
            "attributes": attributes}
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                               "scopeSpans": [{"spans": [span]}]}]}


class AuthServer:
    """Mixin: one exporter with TLS, basic auth and API keys per test class."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="lce-auth-")
        make_certificates(cls.dir)
        cls.tokens = {name: "lce_" + secrets.token_urlsafe(24) for name in ("growth_1", "growth_2", "ops")}
        cls.keys_file = os.path.join(cls.dir, "api_keys.yml")
        cls.write_keys(("growth-1", "growth_1"), ("growth-2", "growth_2"))
        cls.password = secrets.token_urlsafe(12)
        with open(os.path.join(cls.dir, "web.yml"), "w") as f:
            json.dump({"tls_server_config": {"cert_file": "server.crt", "key_file": "server.key",
                                             "min_version": "TLS12"},
                       "basic_auth_users": {"prometheus": crypt.crypt(cls.password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))}}, f)
        config = os.path.join(cls.dir, "exporter.yml")
        with open(config, "w") as f:
            json.dump({"auth": {"api_keys_file": "api_keys.yml"},
                       "budgets": {"default": {"limit_usd": "10", "period": "monthly"}}}, f)
        cls.exporter = harness.Exporter(config=config, scheme="https", ca_file=os.path.join(cls.dir, "ca.crt"),
                                        extra=[f"--web.config.file={os.path.join(cls.dir, 'web.yml')}"])
        cls.client = Client(cls.exporter.url, os.path.join(cls.dir, "ca.crt"))

    @classmethod
    def write_keys(cls, *growth_keys):
        with open(cls.keys_file, "w") as f:
            f.write(keys_document({
                "growth": (["cmp_growth_*"], [(key_id, cls.tokens[name]) for key_id, name in growth_keys]),
                "ops": (["cmp_ops_*"], [("ops-1", cls.tokens["ops"])]),
            }))

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def reload(self):
        status, _, body = self.client.call("POST", "/-/reload", headers=basic("prometheus", self.password))
        self.assertEqual(status, 200, body)

    def reserve(self, token, campaign="cmp_growth_a"):
        return self.client.call("POST", "/v1/budget/reserve", {"campaign_id": campaign, "estimate_usd": "0.01"},
                                bearer(token))

    def api_calls(self):
        """(name, method, path, body) of every API-key endpoint, scoped to cmp_growth_a."""
        status, _, held = self.reserve(self.tokens["growth_1"], "cmp_growth_a")
        self.assertEqual(status, 200, held)
        reservation = json.loads(held)["reservation_id"]
        return [
            ("usage", "POST", "/v1/usage", [usage(secrets.token_hex(8), "cmp_growth_a")]),
            ("traces", "POST", "/v1/traces", otlp_span("cmp_growth_a")),
            ("check", "POST", "/v1/budget/check", {"campaign_id": "cmp_growth_a", "estimate_usd": "0.01"}),
            ("reserve", "POST", "/v1/budget/reserve", {"campaign_id": "cmp_growth_a", "estimate_usd": "0.01"}),
            ("release", "POST", "/v1/budget/release", {"reservation_id": reservation}),
        ]


class AuthAndTls(AuthServer, unittest.TestCase):
    def test_every_api_endpoint_by_credential(self):
        for name, method, path, body in self.api_calls():
            with self.subTest(endpoint=name, key="none"):
                status, headers, _ = self.client.call(method, path, body)
                self.assertEqual(status, 401)
                self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))
            with self.subTest(endpoint=name, key="wrong"):
                self.assertEqual(self.client.call(method, path, body, bearer("lce_wrong"))[0], 401)
            with self.subTest(endpoint=name, key="other project"):
                self.assertEqual(self.client.call(method, path, body, bearer(self.tokens["ops"]))[0], 403)
            with self.subTest(endpoint=name, key="right"):
                status, _, answer = self.client.call(method, path, body, bearer(self.tokens["growth_1"]))
                self.assertEqual(status, 200, answer)

    def test_spend_shows_a_key_only_its_campaigns(self):
        self.assertEqual(self.client.call("POST", "/v1/usage", [usage("spend_g", "cmp_growth_s")],
                                          bearer(self.tokens["growth_2"]))[0], 200)
        self.assertEqual(self.client.call("POST", "/v1/usage", [usage("spend_o", "cmp_ops_s")],
                                          bearer(self.tokens["ops"]))[0], 200)
        self.assertEqual(self.client.call("GET", "/v1/spend?group_by=campaign_id")[0], 401)
        self.assertEqual(self.client.call("GET", "/v1/spend?group_by=campaign_id", headers=bearer("lce_wrong"))[0], 401)
        for token, mine, theirs in ((self.tokens["growth_1"], "cmp_growth_s", "cmp_ops_s"),
                                    (self.tokens["ops"], "cmp_ops_s", "cmp_growth_s")):
            status, _, body = self.client.call("GET", "/v1/spend?group_by=campaign_id", headers=bearer(token))
            self.assertEqual(status, 200, body)
            campaigns = {row["campaign_id"] for row in json.loads(body)["rows"]}
            self.assertIn(mine, campaigns)
            self.assertNotIn(theirs, campaigns)

    def test_a_batch_keeps_the_records_the_key_may_write(self):
        status, _, body = self.client.call(
            "POST", "/v1/usage", [usage("mixed_1", "cmp_growth_m"), usage("mixed_2", "cmp_ops_m")],
            bearer(self.tokens["growth_1"]))
        answer = json.loads(body)
        self.assertEqual((status, answer["accepted"], answer["rejected"]), (200, 1, 1))
        self.assertEqual(answer["errors"][0]["index"], 1)
        self.assertEqual(answer["errors"][0]["reason"], "forbidden_campaign")
        self.assertEqual(answer["errors"][0]["field"], "campaign_id")

    def test_operator_endpoints_take_basic_auth(self):
        for path, method in (("/metrics", "GET"), ("/", "GET"), ("/-/reload", "POST")):
            with self.subTest(path=path):
                status, headers, _ = self.client.call(method, path)
                self.assertEqual(status, 401)
                self.assertIn("Basic", headers.get("WWW-Authenticate", ""))
                self.assertEqual(self.client.call(method, path, headers=basic("prometheus", "wrong"))[0], 401)
                self.assertEqual(self.client.call(method, path, headers=basic("nobody", self.password))[0], 401)
                self.assertEqual(self.client.call(method, path, headers=basic("prometheus", self.password))[0], 200)
        for path in ("/-/healthy", "/-/ready"):
            self.assertEqual(self.client.call("GET", path)[0], 200)

    def test_denials_are_counted_and_keys_never_logged(self):
        self.client.call("POST", "/v1/usage", [usage("x", "cmp_growth_a")])
        self.client.call("POST", "/v1/budget/check", {"campaign_id": "cmp_ops_a", "estimate_usd": "1"},
                         bearer(self.tokens["growth_1"]))
        _, _, text = self.client.call("GET", "/metrics", headers=basic("prometheus", self.password))
        text = text.decode()
        self.assertIn('llm_cost_exporter_auth_failures_total{endpoint="usage",reason="missing"}', text)
        self.assertIn('llm_cost_exporter_auth_failures_total{endpoint="budget_check",reason="forbidden_campaign"}', text)
        log = self.exporter.output()
        self.assertIn("audit", log)
        for token in list(self.tokens.values()) + [self.password]:
            self.assertNotIn(token, log)

    def test_plain_http_is_refused_on_the_tls_port(self):
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(f"http://127.0.0.1:{self.exporter.port}/-/healthy", timeout=5).read()


class KeyRotation(AuthServer, unittest.TestCase):
    """Two live keys, then the old one removed by a reload: no downtime."""

    def test_rotation_with_two_live_keys(self):
        for name in ("growth_1", "growth_2"):
            self.assertEqual(self.reserve(self.tokens[name])[0], 200)
        self.write_keys(("growth-2", "growth_2"))
        self.reload()
        try:
            self.assertEqual(self.reserve(self.tokens["growth_1"])[0], 401)
            self.assertEqual(self.reserve(self.tokens["growth_2"])[0], 200)
        finally:
            self.write_keys(("growth-1", "growth_1"), ("growth-2", "growth_2"))
            self.reload()
        self.assertEqual(self.reserve(self.tokens["growth_1"])[0], 200)


class ClientCertificates(unittest.TestCase):
    """client_auth_type RequireAndVerifyClientCert: no certificate, no answer."""

    def test_a_client_certificate_signed_by_the_ca_is_required(self):
        directory = tempfile.mkdtemp(prefix="lce-mtls-")
        try:
            make_certificates(directory)
            with open(os.path.join(directory, "web.yml"), "w") as f:
                json.dump({"tls_server_config": {"cert_file": "server.crt", "key_file": "server.key",
                                                 "client_auth_type": "RequireAndVerifyClientCert",
                                                 "client_ca_file": "ca.crt"}}, f)
            ca = os.path.join(directory, "ca.crt")
            with_cert = ssl.create_default_context(cafile=ca)
            with_cert.load_cert_chain(os.path.join(directory, "client.crt"), os.path.join(directory, "client.key"))
            exporter = harness.Exporter(scheme="https", client_context=with_cert,
                                        extra=[f"--web.config.file={os.path.join(directory, 'web.yml')}"])
            try:
                status, _, _ = harness.http("GET", exporter.url + "/-/healthy", context=with_cert)
                self.assertEqual(status, 200)
                without_cert = ssl.create_default_context(cafile=ca)
                with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
                    harness.http("GET", exporter.url + "/-/healthy", context=without_cert)
            finally:
                exporter.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
