-- wrk 脚本：POST /recommend 只给用户 ID（"u<k>"），不带点击：历史由服务从事件存储读（seqrec serve --store）。
-- 环境变量 USERS（默认 3000）、TOPK（默认 10）。
local users = tonumber(os.getenv("USERS") or "3000")
local topk = os.getenv("TOPK") or "10"

-- 每个 wrk 线程用不同的种子。
function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  local body = string.format('{"user_id":"u%d","recent_clicks":[],"top_k":%s}', math.random(0, users - 1), topk)
  return wrk.format("POST", "/recommend", {["Content-Type"] = "application/json"}, body)
end
