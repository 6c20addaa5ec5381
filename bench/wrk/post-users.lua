-- POST /users with an address no other request of the run uses.
-- Arguments: token (unique per run), "keys" to send a new Idempotency-Key each time
local stride = require("stride")
setup = stride.setup
done = require("report").done

local headers = { ["Content-Type"] = "application/json" }
local token, n, keys

function init(args)
  token = args[1]
  keys = args[2] == "keys"
  n = 0
end

function request()
  n = n + 1
  local unique = string.format("%s-%d-%d", token, thread_index, n)
  if keys then headers["Idempotency-Key"] = unique end
  local body = string.format(
    '{"name":"Bench User %d","email":"%s@bench.example"}', n, unique)
  return wrk.format("POST", "/users", headers, body)
end
