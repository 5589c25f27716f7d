"""Shared helpers for the end-to-end tests: real processes on loopback.

Every wait is a bounded readiness poll; every process started is stopped
(SIGTERM, then SIGKILL after a fixed timeout) by the test that started it.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "e2e", "fixtures")
EXPORTER = os.environ.get("LCE_EXPORTER_BIN", os.path.join(REPO, "build", "llm_cost_exporter"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=10, context=None):
    """Returns (status, headers, body bytes); HTTP errors are answers, not exceptions.
    `context` is an ssl.SSLContext for https URLs."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_until(predicate, timeout, what, interval=0.1):
    """Polls predicate() until it returns a truthy value or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def run_clients(count, client, timeout=60):
    """Runs client(n) for n in range(count), all at once on their own threads, and
    waits for them (bounded)."""
    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "clients still running"


class Process:
    """A child process whose output goes to a log file kept for failures.
    `preexec_fn` (optional) runs in the child just before exec, e.g. to set a
    resource limit."""

    def __init__(self, name, argv, cwd=None, preexec_fn=None):
        self.name = name
        self.log_path = tempfile.mktemp(prefix=f"lce-{name}-", suffix=".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd,
                                     preexec_fn=preexec_fn)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.log.close()
        return self.proc.returncode


class Exporter(Process):
    """The real binary. Its ledger lives in `storage` (a fresh temporary
    directory, removed by stop(), unless the caller passes one to keep).
    `preexec_fn` is passed to Process (run in the child before exec)."""

    def __init__(self, config=None, pricing=None, storage=None, extra=(), scheme="http", ca_file=None,
                 client_context=None, preexec_fn=None):
        self.port = free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.context = client_context or (ssl.create_default_context(cafile=ca_file) if scheme == "https" else None)
        self.own_storage = storage is None
        self.storage = storage or tempfile.mkdtemp(prefix="lce-ledger-")
        argv = [EXPORTER,
                f"--web.listen-address=127.0.0.1:{self.port}",
                f"--config.file={config or os.path.join(FIXTURES, 'config', 'exporter.yml')}",
                f"--pricing.dir={pricing or os.path.join(FIXTURES, 'pricing')}",
                f"--storage.path={self.storage}",
                *extra]
        super().__init__("exporter", argv, cwd=REPO, preexec_fn=preexec_fn)
        wait_until(lambda: self.proc.poll() is None and
                   http("GET", self.url + "/-/ready", timeout=1, context=self.context)[0] == 200,
                   10, "exporter /-/ready")

    def post_usage(self, records, ndjson=False):
        if ndjson:
            body = "\n".join(json.dumps(r) for r in records) + "\n"
            ctype = "application/x-ndjson"
        else:
            body = json.dumps(records)
            ctype = "application/json"
        status, _, payload = http("POST", self.url + "/v1/usage", body, {"Content-Type": ctype})
        return status, json.loads(payload)

    def metrics_text(self):
        status, _, payload = http("GET", self.url + "/metrics")
        assert status == 200, status
        return payload.decode()

    def spend(self, **params):
        """GET /v1/spend; returns (status, parsed JSON or CSV text)."""
        url = self.url + "/v1/spend?" + urllib.parse.urlencode(params)
        status, _, payload = http("GET", url)
        text = payload.decode()
        return status, text if params.get("format") == "csv" else json.loads(text)

    def stop(self, timeout=10):
        code = super().stop(timeout)
        if self.own_storage:
            shutil.rmtree(self.storage, ignore_errors=True)
        return code


class Prometheus(Process):
    """A real Prometheus scraping the given targets every second, evaluating
    `rule_files` every second and sending alerts to `alertmanager` (a URL);
    `extra` are more command-line flags (e.g. --enable-feature=...)."""

    def __init__(self, targets, rule_files=(), alertmanager=None, extra=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="lce-prom-")
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": list(rule_files),
            "scrape_configs": [{"job_name": "llm_cost_exporter",
                                "static_configs": [{"targets": list(targets)}]}],
        }
        if alertmanager:
            config["alerting"] = {"alertmanagers": [{"static_configs": [
                {"targets": [urllib.parse.urlparse(alertmanager).netloc]}]}]}
        config_path = os.path.join(self.dir, "prometheus.yml")
        with open(config_path, "w") as f:
            json.dump(config, f)  # JSON is valid YAML
        argv = [shutil.which("prometheus") or "/usr/bin/prometheus",
                f"--config.file={config_path}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                *extra]
        super().__init__("prometheus", argv)
        wait_until(lambda: self.proc.poll() is None and
                   http("GET", self.url + "/-/ready", timeout=1)[0] == 200,
                   30, "prometheus /-/ready")

    def query(self, promql):
        """Instant query; returns the list of result vectors."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        status, _, payload = http("GET", url)
        answer = json.loads(payload)
        assert status == 200 and answer["status"] == "success", payload
        return answer["data"]["result"]

    def stop(self, timeout=10):
        code = super().stop(timeout)
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


class Alertmanager(Process):
    """A real Alertmanager (Debian's prometheus-alertmanager), clustering off,
    with the given configuration (a dict, written as JSON, which is YAML)."""

    def __init__(self, config):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="lce-am-")
        config_path = os.path.join(self.dir, "alertmanager.yml")
        with open(config_path, "w") as f:
            json.dump(config, f)
        argv = [shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager",
                f"--config.file={config_path}",
                f"--storage.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address="]
        super().__init__("alertmanager", argv)
        wait_until(lambda: self.proc.poll() is None and
                   http("GET", self.url + "/-/ready", timeout=1)[0] == 200,
                   30, "alertmanager /-/ready")

    def stop(self, timeout=10):
        code = super().stop(timeout)
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


class WebhookReceiver:
    """An HTTP listener on loopback that records every Alertmanager webhook
    notification it receives (the alerts of each POST)."""

    def __init__(self):
        import http.server
        import threading
        self.alerts = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.alerts.extend(json.loads(body).get("alerts", []))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def firing(self, alertname, **labels):
        """The firing alerts received so far with that name and labels."""
        with self.lock:
            return [a for a in self.alerts if a["status"] == "firing" and a["labels"].get("alertname") == alertname
                    and all(a["labels"].get(k) == v for k, v in labels.items())]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
