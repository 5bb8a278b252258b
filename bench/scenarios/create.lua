-- SPDX-License-Identifier: MIT
-- create: POST a new OpenID Connect custom provider (a durable write: 201
-- only once it is on disk). Every request creates one more provider in the
-- app of path=. Arguments: path=, auth=, check=1 (see common.lua).
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup, done = common.setup, common.done

function init(args)
    local a = common.init(args)
    wrk.method = "POST"
    wrk.path = a.path
    wrk.headers["Authorization"] = a.auth
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = '{"title":"bench","protocol":"openidconnect",' ..
               '"auth_url":"https://idp.example.com/a","token_url":"https://idp.example.com/t",' ..
               '"client_id":"c","client_secret":"s","scopes":["openid"],"ui":{"title":"Bench"}}'
end
