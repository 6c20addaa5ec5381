-- GET <path><id>, a different id every request.
-- Arguments: path first count threads
local stride = require("stride")
setup = stride.setup
done = require("report").done

local path, next_id

function init(args)
  path = args[1]
  next_id = stride.walker(tonumber(args[2]), tonumber(args[3]), tonumber(args[4]))
end

function request()
  return wrk.format("GET", path .. next_id())
end
