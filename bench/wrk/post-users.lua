-- POST /users with an address no other request of the run uses.
-- Arguments: token (unique per run)
local stride = require("stride")
setup = stride.setup
done = require("report").done

local headers = { ["Content-Type"] = "application/json" }
local token, n

function init(args)
  token = args[1]
  n = 0
end

function request()
  n = n + 1
  local body = string.format(
    '{"name":"Bench User %d","email":"%s-%d-%d@bench.example"}', n, token, thread_index, n)
  return wrk.format("POST", "/users", headers, body)
end
