-- SPDX-License-Identifier: MIT
-- token: POST the token endpoint, HTTP Basic authentication, form body
-- (client_credentials, scope *:**). Also the request sent to the baseline
-- and to the oidc-provider peer. Arguments: path=, auth= (the whole
-- Authorization value), check=1 (see common.lua).
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup, done = common.setup, common.done

function init(args)
    local a = common.init(args)
    wrk.method = "POST"
    wrk.path = a.path
    wrk.headers["Authorization"] = a.auth
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = "grant_type=client_credentials&scope=*%3A**"
end
