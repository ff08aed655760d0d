"""A real `onsite serve` process on loopback (SQLite) for the bindings'
HTTP tests, and the back office's calls to it over its admin API."""

import json
import os
import re
import subprocess
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BINARY = os.environ.get("ONSITE_BIN", os.path.join(ROOT, "target", "debug", "onsite"))


class HubProcess:
    """`onsite serve` on 127.0.0.1 with its own database; `restart()`
    stops it (SIGTERM) and starts it again on the same port."""

    def __init__(self, directory):
        self.database = "sqlite:" + os.path.join(directory, "hub.sqlite")
        self.log = open(os.path.join(directory, "hub.log"), "ab")
        out = subprocess.run([BINARY, "admin", "bootstrap", "--database", self.database, "--person", "backoffice"],
                             check=True, capture_output=True, text=True).stdout
        self.admin_token = re.search(r"ost_[0-9a-f]{64}", out).group(0)
        self.port = 0
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [BINARY, "serve", "--listen", f"127.0.0.1:{self.port}", "--database", self.database,
             "--shutdown-grace", "2"],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.process.stdout.readline().decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            raise AssertionError(f"the hub did not start: {line!r}")
        self.port = int(match.group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self.process:
            self.process.stdout.close()

    def restart_later(self, delay):
        """Stops the hub now and starts it again after `delay` seconds, on
        another thread; returns that thread."""
        self.stop()
        t = threading.Thread(target=lambda: (time.sleep(delay), self.start()))
        t.start()
        return t

    def close(self):
        self.stop()
        self.log.close()

    def admin(self, method, path, body=None, content_type="application/json"):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.admin_token)
        if data is not None:
            req.add_header("Content-Type", content_type)
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"{}")

    def issue(self, person, role, account=None):
        body = {"person": person, "role": role, "label": f"{person} ({role})"}
        if account:
            body["account_id"] = account
        answer = self.admin("POST", "/v1/admin/devices", body)
        return answer["device"]["device_id"], answer["token"]
