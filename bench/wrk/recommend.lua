-- wrk 脚本：POST /recommend，随机用户与两次随机点击（物品 ID "i<k>"、用户 ID "u<k>"，即 make_catalogue 的命名）。
-- 环境变量 ITEMS、USERS 给出目录大小；TOPK 默认 10；CLICKS 默认 2（点击数）。
local items = tonumber(os.getenv("ITEMS") or "100000")
local users = tonumber(os.getenv("USERS") or "5000")
local topk = os.getenv("TOPK") or "10"
local clicks = tonumber(os.getenv("CLICKS") or "2")

-- 每个 wrk 线程用不同的种子。
function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

-- 每个请求生成新的请求体。
function request()
  local c = {}
  for i = 1, clicks do c[i] = string.format('"i%d"', math.random(0, items - 1)) end
  local body = string.format('{"user_id":"u%d","recent_clicks":[%s],"top_k":%s}',
    math.random(0, users - 1), table.concat(c, ","), topk)
  return wrk.format("POST", "/recommend", {["Content-Type"] = "application/json"}, body)
end
