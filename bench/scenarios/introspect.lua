-- SPDX-License-Identifier: MIT
-- introspect: RFC 7662 introspection of a valid access token, the client
-- authenticated with HTTP Basic. Arguments: path=, auth=, token=, check=1
-- (see common.lua; run with expect="active":true so that an inactive
-- answer, a 200 too, counts as bad).
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup, done = common.setup, common.done

function init(args)
    local a = common.init(args)
    wrk.method = "POST"
    wrk.path = a.path
    wrk.headers["Authorization"] = a.auth
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = "token=" .. a.token
end
