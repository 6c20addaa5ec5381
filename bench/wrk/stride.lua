-- Gives each wrk thread every n-th value of [first, first + count), so no two
-- requests of a run share a value until the range is used up (then it wraps).
local stride = {}
local thread_count = 0

-- As wrk's setup(): numbers the threads.
function stride.setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

-- Called in a thread's init(), where thread_index is set.
function stride.walker(first, count, threads)
  local n = thread_index
  return function()
    local value = first + n % count
    n = n + threads
    return value
  end
end

return stride
