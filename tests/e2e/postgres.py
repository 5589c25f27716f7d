"""A database of its own on the tests' PostgreSQL cluster (tests/postgres/cluster.sh,
started by ctest's "postgres" fixture, named by LCE_TEST_POSTGRES_STATE), and an
exporter configuration that puts the ledger there. psql (Debian's PostgreSQL
client) creates and drops the database."""
import os
import shlex
import subprocess
import tempfile
import uuid


CLUSTER_SH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "postgres", "cluster.sh")


def cluster(state_file=None):
    """(dsn, password file) of a running cluster: by default the one ctest's fixture
    started; fails when there is none."""
    state_file = state_file or os.environ.get("LCE_TEST_POSTGRES_STATE")
    if not state_file:
        raise AssertionError("LCE_TEST_POSTGRES_STATE is not set: run through ctest (fixture postgres)")
    values = {}
    with open(state_file) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            values[key] = shlex.split(value)[0] if value else ""
    return values["LCE_PG_DSN"], values["LCE_PG_PASSWORD_FILE"]


class OwnCluster:
    """A cluster of the test's own (cluster.sh), for tests that stop the server."""

    def __init__(self):
        self.state = tempfile.mktemp(prefix="lce-pg-state-")
        self.run("start")

    def run(self, action):
        subprocess.run([CLUSTER_SH, action, self.state], check=True, timeout=120)

    def pause(self):
        self.run("pause")

    def resume(self):
        self.run("resume")

    def stop(self):
        self.run("stop")


class Database:
    def __init__(self, state_file=None):
        self.dsn, self.password_file = cluster(state_file)
        with open(self.password_file) as f:
            self.password = f.read().strip()
        self.name = "lce_e2e_" + uuid.uuid4().hex[:12]
        self.psql("postgres", f"CREATE DATABASE {self.name}")
        self.config_dir = tempfile.mkdtemp(prefix="lce-pg-config-")

    def psql(self, database, sql):
        """Runs SQL; returns its output (unaligned, tuples only)."""
        env = dict(os.environ, PGPASSWORD=self.password)
        done = subprocess.run(["psql", f"{self.dsn} dbname={database}", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                              env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError(f"psql failed: {done.stderr}")
        return done.stdout.strip()

    def query(self, sql):
        return self.psql(self.name, sql)

    def config(self, name="exporter.yml", extra=""):
        """An exporter config (the e2e fixture's settings) with storage.postgres on this
        database; the password comes from a file, never from the DSN."""
        path = os.path.join(self.config_dir, name)
        with open(path, "w") as f:
            f.write(f"""server:
  max_body_bytes: 1048576
storage:
  postgres:
    dsn: "{self.dsn} dbname={self.name}"
    password_file: {self.password_file}
    pool_size: 4
metrics:
  cardinality:
    default_limit: 100
    per_label: {{campaign_id: 3}}
  business_event_families:
    email.sent: messages_sent_total
{extra}""")
        return path

    def drop(self):
        self.psql("postgres", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
