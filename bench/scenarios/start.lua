-- SPDX-License-Identifier: MIT
-- start: the first request of a sign-in, GET /{c}.{p}/start?token_url=...
-- (SPEC §7.3). Each one stores a new flow (a durable write through group
-- commit) and answers 302 to the provider's authorization endpoint.
-- Arguments: path= (with its query), check=1 with status=302 (see
-- common.lua).
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup, done = common.setup, common.done

function init(args)
    local a = common.init(args)
    wrk.method = "GET"
    wrk.path = a.path
end
