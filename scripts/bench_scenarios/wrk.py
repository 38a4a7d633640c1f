"""wrk, the load generator, driven by Lua scripts that report their figures as one JSON line."""

import json
import re
import shutil
import subprocess

from ops import HOST, ROOT
from ops.processes import apt_install


class Unavailable(Exception):
    """A measurement that cannot run yet; its reason goes in the table."""


def ensure_wrk():
    if not shutil.which("wrk"):
        apt_install("wrk")
    return shutil.which("wrk")


LUA_COMMON = r"""
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local s2, s3, s4, s5, other = 0, 0, 0, 0, 0
  local counted = false
  for _, t in ipairs(threads) do
    if t:get("n2") ~= nil then
      counted = true
      s2 = s2 + t:get("n2"); s3 = s3 + t:get("n3"); s4 = s4 + t:get("n4")
      s5 = s5 + t:get("n5"); other = other + t:get("nother")
    end
  end
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
    .. '"max_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,'
    .. '"timeouts":%d,"counted":%s,"n2xx":%d,"n3xx":%d,"n4xx":%d,"n5xx":%d,"nother":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, tostring(counted), s2, s3, s4, s5, other))
end
"""

LUA_COUNT_STATUS = r"""
n2, n3, n4, n5, nother = 0, 0, 0, 0, 0
function response(status, headers, body)
  if status >= 200 and status < 300 then n2 = n2 + 1
  elseif status >= 300 and status < 400 then n3 = n3 + 1
  elseif status >= 400 and status < 500 then n4 = n4 + 1
  elseif status >= 500 then n5 = n5 + 1
  else nother = nother + 1 end
end
"""

LUA_PACING = r"""
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_usec; } bench_timeval;
  int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end
local next_slot = nil
-- Each thread sends at {rate_per_thread}/s, whatever the latency (open loop).
function delay()
  local now = now_ms()
  if next_slot == nil or next_slot < now - 1000 then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + {interval_ms}
  if wait < 0 then return 0 end
  return wait
end
"""


def lua_string(value):
    return json.dumps(value)  # a JSON string is a valid Lua string literal for ASCII


def lua_headers(headers):
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"


class Wrk:
    def __init__(self, binary, port, duration, connections, threads, workdir):
        self.binary = binary
        self.port = port
        self.duration = duration
        self.connections = connections
        self.threads = threads
        self.workdir = workdir
        self.count = 0
        self.processes = []

    def on_port(self, port):
        """The same settings against another server (its scripts numbered on from this one's)."""
        other = Wrk(self.binary, port, self.duration, self.connections, self.threads, self.workdir)
        other.count, other.processes = self.count + 1000, self.processes
        return other

    def script(self, body):
        self.count += 1
        path = self.workdir / f"script{self.count}.lua"
        path.write_text(LUA_COMMON + body)
        return path

    def start(self, path, lua_body="", *, connections=None, threads=None, duration=None):
        script = self.script(lua_body)
        cmd = [self.binary, "-t", str(threads or self.threads), "-c", str(connections or self.connections),
               "-d", f"{duration or self.duration}s", "--timeout", "10s", "--latency", "-s", str(script),
               f"http://{HOST}:{self.port}{path}"]  # fmt: skip
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.processes.append(process)
        return process

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    def finish(self, process):
        out, err = process.communicate(timeout=(self.duration or 10) + 120)
        match = re.search(r"^BENCHJSON (.*)$", out, re.MULTILINE)
        if not match:
            raise Unavailable(f"wrk failed: {err.strip() or out.strip()}"[:200])
        data = json.loads(match.group(1))
        seconds = data["duration_us"] / 1e6
        data["rps"] = data["requests"] / seconds if seconds else 0.0
        data["p50_ms"] = data["p50_us"] / 1000
        data["p99_ms"] = data["p99_us"] / 1000
        data["errors"] = sum(
            data[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
        )
        return data

    def measure(self, path, lua_body="", **kwargs):
        return self.finish(self.start(path, lua_body, **kwargs))


def get_lua(headers=None):
    if not headers:
        return ""
    return "".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}\n" for k, v in headers.items())


def alternating_get_lua(paths, headers=None):
    """Each connection cycles through the paths (e.g. the petition page and the count API)."""
    reqs = ", ".join(f"wrk.format('GET', {lua_string(p)}, {lua_headers(headers or {})})" for p in paths)
    return f"""
local reqs = nil
local i = 0
function request()
  if reqs == nil then reqs = {{{reqs}}} end
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
"""


JUNK_VALUES = 20000  # made in init(), per wrk thread: drawing them per request would load wrk itself


def junk_lua(path, *, param=None, cookie=None):
    """GET `path` with a different random value each request: of the query parameter `param` or the cookie.

    With neither, the same script sends the plain path: the yardstick pays the
    same Lua cost per request as the junk it is compared with.
    """
    value = "values[n % #values + 1]"
    target = (
        f"{lua_string(path + ('&' if '?' in path else '?') + param + '=')} .. {value}"
        if param
        else lua_string(path)
    )
    headers = f'{{["Cookie"] = {lua_string(cookie + "=")} .. {value}}}' if cookie else "{}"
    return f"""
local charset = "abcdefghijklmnopqrstuvwxyz0123456789"
local values = {{}}
local n = 0
local function junk(length)
  local out = {{}}
  for i = 1, length do
    local k = math.random(1, #charset)
    out[i] = charset:sub(k, k)
  end
  return table.concat(out)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  for i = 1, {JUNK_VALUES} do
    values[i] = junk(32)
  end
end
function request()
  n = n + 1
  return wrk.format("GET", {target}, {headers})
end
"""
