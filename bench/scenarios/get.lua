-- SPDX-License-Identifier: MIT
-- get (and list): GET one URL with a Bearer token: one custom provider, or
-- an app's list of providers. Arguments: path=, auth= (the whole
-- Authorization value), check=1 (see common.lua).
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup, done = common.setup, common.done

function init(args)
    local a = common.init(args)
    wrk.method = "GET"
    wrk.path = a.path
    wrk.headers["Authorization"] = a.auth
end
