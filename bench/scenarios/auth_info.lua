-- SPDX-License-Identifier: MIT
-- auth_info: a site's server redeems a one-time sign-in token (SPEC §7.5),
-- POST /api/v2/auth_info with apiKey and token, form-encoded. A token
-- redeems once (a durable write through group commit), so each request
-- takes the next unused token of tokens=FILE, lines from= to to= (1-based,
-- inclusive), thread i of threads= taking every threads-th line; no token
-- is ever sent twice. Every answer is checked: only those with
-- "stat":"ok" count as ok. A thread that has sent its last token stops
-- (exhausted=1; wrk still reports its full duration, so the rate is then a
-- lower bound): answers still in flight are counted neither way, and it
-- never sends a used or made-up token (the server rate-limits failures).
-- Arguments: path=, key= (the app's apiKey), tokens=, from=, to=,
-- threads= (see common.lua for the rest; check=1 and the expected text
-- are forced).
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup, done = common.setup, common.done

local tokens, n = {}, 0
local path, prefix
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}

function init(args)
    args[#args + 1] = "check=1"
    args[#args + 1] = 'expect="stat":"ok"'
    local a = common.init(args)
    path, prefix = a.path, "apiKey=" .. a.key .. "&token="
    local from, to, step = tonumber(a.from), tonumber(a.to), tonumber(a.threads)
    local line = 0
    for t in io.lines(a.tokens) do
        line = line + 1
        if line > to then
            break
        end
        if line >= from and (line - from) % step == thread_index then
            tokens[#tokens + 1] = t
        end
    end
    if #tokens == 0 then
        error("auth_info.lua: no tokens for this thread in " .. a.tokens)
    end
    local check = response
    response = function(status, headers, body)
        if exhausted == 0 then
            check(status, headers, body)
        end
    end
end

function request()
    n = n + 1
    if n > #tokens then
        exhausted = 1
        wrk.thread:stop()
        return wrk.format("GET", "/healthz") -- something harmless, should it still go out
    end
    return wrk.format("POST", path, headers, prefix .. tokens[n])
end
