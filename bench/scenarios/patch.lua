-- SPDX-License-Identifier: MIT
-- patch: an RFC 7396 merge patch of one field (title) of rotating custom
-- providers (a durable write), without If-Match. The providers' ids are
-- read, one a line, from ids=FILE and appended to prefix= in turn, so the
-- concurrent requests touch different providers. Arguments: prefix=, ids=,
-- auth=, check=1 (see common.lua).
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup, done = common.setup, common.done

local paths, headers = {}, {}
local n = 0

function init(args)
    local a = common.init(args)
    for id in io.lines(a.ids) do
        if id ~= "" then
            table.insert(paths, a.prefix .. id)
        end
    end
    if #paths == 0 then
        error("patch.lua: no ids in " .. a.ids)
    end
    headers["Authorization"] = a.auth
    headers["Content-Type"] = "application/merge-patch+json"
end

function request()
    n = n + 1
    local path = paths[(n - 1) % #paths + 1]
    return wrk.format("PATCH", path, headers, '{"title":"patched ' .. n .. '"}')
end
