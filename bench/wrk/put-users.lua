-- PUT /users/<id> renaming existing users, a different id every request.
-- Arguments: first count threads
local stride = require("stride")
setup = stride.setup
done = require("report").done

local headers = { ["Content-Type"] = "application/json" }
local next_id, n

function init(args)
  next_id = stride.walker(tonumber(args[1]), tonumber(args[2]), tonumber(args[3]))
  n = 0
end

function request()
  n = n + 1
  local body = string.format('{"name":"Bench Rename %d-%d"}', thread_index, n)
  return wrk.format("PUT", "/users/" .. next_id(), headers, body)
end
