-- The same request every time: wrk's fast path, no Lua per request.
done = require("report").done
