-- The realistic mix (bench/lib/load/plans.mjs, MIX_SHARES): GET /users/<id>,
-- the first page, PUT /users/<id> and POST /users, in shares per thousand,
-- ids drawn Zipf-like as bench/lib/load/zipf.mjs explains.
-- Arguments: first count scatter token page_path get_by_id first_page put
-- (POST takes the rest of the thousand)
local stride = require("stride")
setup = stride.setup
done = require("report").done

local json = { ["Content-Type"] = "application/json" }
local first, count, scatter, log_span, token, page_path, n
local page_from, put_from, post_from

function init(args)
  first, count, scatter = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
  log_span = math.log(count + 1)
  token, page_path = args[4], args[5]
  page_from = tonumber(args[6])
  put_from = page_from + tonumber(args[7])
  post_from = put_from + tonumber(args[8])
  n = 0
  -- Each thread draws its own sequence.
  math.randomseed(os.time() * 1000 + thread_index)
end

local function zipf_id()
  local rank = math.floor(math.exp(math.random() * log_span))
  return first + ((rank - 1) * scatter) % count
end

function request()
  local draw = math.random(0, 999)
  if draw < page_from then
    return wrk.format("GET", "/users/" .. zipf_id())
  elseif draw < put_from then
    return wrk.format("GET", page_path)
  end
  n = n + 1
  local unique = string.format("%s-%d-%d", token, thread_index, n)
  if draw < post_from then
    return wrk.format("PUT", "/users/" .. zipf_id(), json,
      string.format('{"name":"Bench Mix %s"}', unique))
  end
  return wrk.format("POST", "/users", json, string.format(
    '{"name":"Bench Mix %d","email":"%s@bench.example"}', n, unique))
end
