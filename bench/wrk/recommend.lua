-- wrk 脚本：POST /recommend，随机用户与两次随机点击（物品 ID "i<k>"、用户 ID "u<k>"，即 make_catalogue 的命名）。
-- 环境变量 ITEMS、USERS 给出目录大小；TOPK 默认 10。
local items = tonumber(os.getenv("ITEMS") or "100000")
local users = tonumber(os.getenv("USERS") or "5000")
local topk = os.getenv("TOPK") or "10"

-- 每个 wrk 线程用不同的种子。
function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

-- 每个请求生成新的请求体。
function request()
  local body = string.format('{"user_id":"u%d","recent_clicks":["i%d","i%d"],"top_k":%s}',
    math.random(0, users - 1), math.random(0, items - 1), math.random(0, items - 1), topk)
  return wrk.format("POST", "/recommend", {["Content-Type"] = "application/json"}, body)
end
