#!/usr/bin/env python3
"""The writers of scripts/soak.sh (standard library only; loopback; every request has a timeout).

  soak-writers.py edit BASE TOKEN WHO SEED FIRST LAST STEP PAUSE_S STOP_FILE LOG
      An editor: until STOP_FILE exists, picks a site synth-<i> (i = FIRST, FIRST+STEP, … < LAST),
      reads it (its ETag is the version) and saves it (PATCH with If-Match: a new Chinese name or
      a new position); then, at random, reverts that save (POST /revert to the revision before
      it, with If-Match), and deletes (DELETE with If-Match) and restores it. A cycle always
      finishes, so no site is left deleted. Each request that changed the site appends
      "WHO SITE ACTION VERSION MS" to LOG; a 200 that kept the version (a change that changed
      nothing, which writes no revision) is counted as "noop". Anything else (another status,
      a connection error) is a failure, written to stderr. Prints one JSON summary on stdout.
  soak-writers.py prepare BASE ROWS OFFSET BOX FILE
      Writes FILE: ROWS sites of an export (CSV of the sites in BOX, from OFFSET) given new
      ids soak-import-00001…, so that importing it inserts ROWS sites.
  soak-writers.py import BASE TOKEN FILE DELAY_S STOP_FILE
      The importer: waits DELAY_S seconds (less if STOP_FILE appears), then POSTs FILE to
      /api/v1/import as multipart/form-data; prints the status, the row report's counts and
      the time taken as JSON.
"""
import csv
import http.client
import io
import json
import os
import random
import sys
import time
import urllib.parse

TIMEOUT_S = 60


def connect(base):
    u = urllib.parse.urlparse(base)
    assert u.hostname in ("127.0.0.1", "localhost"), "loopback only"
    return http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT_S)


class Client:
    """One keep-alive connection; reconnects (and counts it) after a connection error."""

    def __init__(self, base, token=None):
        self.base, self.token = base, token
        self.conn = connect(base)

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if body is not None and "Content-Type" not in h:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        t0 = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = connect(self.base)
            return None, None, f"connection error: {e!r}".encode(), (time.monotonic() - t0) * 1000
        return r.status, r.getheader("ETag"), data, (time.monotonic() - t0) * 1000


def version(etag):
    return int(etag.strip('"')) if etag else None


def edit(base, token, who, seed, first, last, step, pause, stop, log_path):
    c = Client(base, token)
    rng = random.Random(seed)
    ids = [f"synth-{i:07d}" for i in range(first, last, step)]
    names = "东南西北中山水石田林金木火土"
    counts, failures, noops, times = {}, [], 0, []
    log = open(log_path, "a", encoding="utf-8")

    def fail(what, status, data):
        failures.append(f"{what}: {status} {data[:300].decode('utf-8', 'replace')}")
        print(f"{who}: {failures[-1]}", file=sys.stderr)

    def wrote(sid, action, status, etag, data, expected_status, before, ms):
        """True when the write succeeded; logs it (or counts a no-op)."""
        nonlocal noops
        if status != expected_status:
            fail(f"{action} {sid}", status, data)
            return False
        v = version(etag)
        if action != "delete" and v == before:
            noops += 1
        else:
            counts[action] = counts.get(action, 0) + 1
            times.append(ms)
            log.write(f"{who} {sid} {action} {v if v is not None else before} {ms:.1f}\n")
            log.flush()
        time.sleep(pause)
        return True

    while not os.path.exists(stop):
        sid = rng.choice(ids)
        path = f"/api/v1/sites/{sid}"
        status, etag, data, _ = c.request("GET", path)
        if status != 200:
            fail(f"read {sid}", status, data)
            time.sleep(pause)
            continue
        v0 = version(etag)
        if rng.random() < 0.5:
            body = {"properties": {"name_zh": "".join(rng.choice(names) for _ in range(6)) + "基地"}}
        else:
            g = json.loads(data).get("geometry") or {}
            # Near its point; a polygon's or an unplaced site's new point near the district's centre.
            lon, lat = g["coordinates"] if g.get("type") == "Point" else (110.9, 21.65)
            body = {"geometry": {"type": "Point", "coordinates": [
                round(lon + rng.uniform(-0.01, 0.01), 6), round(lat + rng.uniform(-0.01, 0.01), 6)]}}
        status, etag, data, ms = c.request("PATCH", path, body, {"If-Match": f'"{v0}"'})
        if not wrote(sid, "update", status, etag, data, 200, v0, ms):
            continue
        cur = version(etag)
        if rng.random() < 0.5:
            # Back to the record before the save: the revision that made version v0.
            status, _, data, _ = c.request("GET", f"{path}/history")
            if status != 200:
                fail(f"history {sid}", status, data)
                continue
            rev = next((r["rev"] for r in json.loads(data)["revisions"]
                        if r["version"] == v0 and r["action"] != "delete"), None)
            if rev is None:
                fail(f"history {sid}", status, b"no revision made version %d" % v0)
                continue
            status, etag, data, ms = c.request(
                "POST", f"{path}/revert", {"rev": rev}, {"If-Match": f'"{cur}"'})
            if not wrote(sid, "revert", status, etag, data, 200, cur, ms):
                continue
            cur = version(etag)
        if rng.random() < 0.3:
            status, _, data, ms = c.request("DELETE", path, None, {"If-Match": f'"{cur}"'})
            if not wrote(sid, "delete", status, None, data, 204, cur, ms):
                continue
            status, etag, data, ms = c.request("POST", f"{path}/restore")
            wrote(sid, "restore", status, etag, data, 200, None, ms)
    times.sort()
    pct = lambda p: round(times[min(len(times) - 1, int(p * len(times)))], 1) if times else None
    print(json.dumps({"who": who, "writes": sum(counts.values()), "by_action": counts,
                      "noops": noops, "failures": len(failures), "p50_ms": pct(0.5),
                      "p99_ms": pct(0.99), "max_ms": round(times[-1], 1) if times else None}))


def prepare(base, rows, offset, box, path):
    c = Client(base)
    q = urllib.parse.urlencode({"format": "csv", "bbox": box, "limit": rows, "offset": offset})
    status, _, data, _ = c.request("GET", f"/api/v1/export?{q}")
    if status != 200:
        sys.exit(f"error: the export for the import file answered {status}: {data[:300]!r}")
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = next(reader)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header)
    n = 0
    for row in reader:
        n += 1
        row[0] = f"soak-import-{n:05d}"
        w.writerow(row)
    if n != rows:
        sys.exit(f"error: the export gave {n} rows, not {rows} (use a larger box)")
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    print(f"{path}: {n} rows", file=sys.stderr)


def import_file(base, token, path, delay, stop):
    end = time.monotonic() + delay
    while time.monotonic() < end and not os.path.exists(stop):
        time.sleep(0.1)
    body_file = open(path, "rb").read()
    boundary = "soak-boundary-7f3a9c"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{os.path.basename(path)}\"\r\nContent-Type: text/csv\r\n\r\n").encode() \
        + body_file + f"\r\n--{boundary}--\r\n".encode()
    c = Client(base, token)
    status, _, data, ms = c.request(
        "POST", "/api/v1/import", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    report = {}
    if status == 200:
        report = json.loads(data)
    else:
        print(f"import: {status} {data[:1000].decode('utf-8', 'replace')}", file=sys.stderr)
    print(json.dumps({"status": status, "ms": round(ms, 1),
                      **{k: report.get(k) for k in ("rows", "inserted", "updated", "unchanged", "skipped")},
                      "errors": len(report.get("errors", []))}))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "edit":
        base, token, who, seed, first, last, step, pause, stop, log = args
        edit(base, token, who, int(seed), int(first), int(last), int(step), float(pause), stop, log)
    elif cmd == "prepare":
        base, rows, offset, box, path = args
        prepare(base, int(rows), int(offset), box, path)
    elif cmd == "import":
        base, token, path, delay, stop = args
        import_file(base, token, path, float(delay), stop)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
