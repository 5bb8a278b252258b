-- SPDX-License-Identifier: MIT
-- list: GET an app's list of custom providers with a Bearer token; the
-- same request as get.lua on the collection URL. Arguments: path=, auth=,
-- check=1 (see common.lua).
return dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "get.lua")
