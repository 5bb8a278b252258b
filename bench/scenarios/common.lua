-- SPDX-License-Identifier: MIT
-- Shared by the wrk scenarios of bench/ (loaded with dofile, not a scenario
-- itself): key=value arguments, the optional strict check of every response
-- (check=1: a status other than status=N, by default anything but 2xx, or
-- a body without expect=TEXT, is counted as bad, anything else as ok), and
-- done(), which prints the one machine-readable line bench/run parses:
--   BENCH requests=N duration_us=N p50_us=N p99_us=N status_errors=N
--         connect=N read=N write=N timeout=N checked=0|1 bad=N ok=N
--         exhausted=0|1
-- status_errors is wrk's own count (status > 399); bad and ok are exact but
-- only counted with check=1, since a response() hook costs wrk some CPU.
-- exhausted=1: a scenario with a finite supply of requests (auth_info's
-- tokens) ran out and stopped counting before the end.
local M = {}
local threads = {}

-- Parses wrk's arguments after "--" (each KEY=VALUE) into a table.
local function parse(args)
    local a = {}
    for _, kv in ipairs(args) do
        local k, v = kv:match("^([%w_]+)=(.*)$")
        if not k then
            error("bench: argument is not KEY=VALUE: " .. kv)
        end
        a[k] = v
    end
    return a
end

-- Runs in each thread's Lua state: returns the arguments and, with
-- check=1, installs the response() hook.
function M.init(args)
    local a = parse(args)
    checked, bad, ok, exhausted = 0, 0, 0, 0
    if a.check == "1" then
        checked = 1
        local expect, want = a.expect, tonumber(a.status)
        response = function(status, headers, body)
            local good
            if want then
                good = status == want
            else
                good = status >= 200 and status <= 299
            end
            if good and (not expect or body:find(expect, 1, true)) then
                ok = ok + 1
            else
                bad = bad + 1
            end
        end
    end
    return a
end

-- Runs in the main Lua state, once per thread, before init: each thread
-- gets its number, from 0, as the global thread_index.
function M.setup(thread)
    thread:set("thread_index", #threads)
    table.insert(threads, thread)
end

function M.done(summary, latency, requests)
    local checked, bad, ok, exhausted = 0, 0, 0, 0
    for _, t in ipairs(threads) do
        checked = math.max(checked, t:get("checked") or 0)
        bad = bad + (t:get("bad") or 0)
        ok = ok + (t:get("ok") or 0)
        exhausted = math.max(exhausted, t:get("exhausted") or 0)
    end
    local e = summary.errors
    io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
                           "status_errors=%d connect=%d read=%d write=%d timeout=%d " ..
                           "checked=%d bad=%d ok=%d exhausted=%d\n",
                           summary.requests, summary.duration, latency:percentile(50),
                           latency:percentile(99), e.status, e.connect, e.read, e.write,
                           e.timeout, checked, bad, ok, exhausted))
end

return M
