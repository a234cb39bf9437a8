-- wrk 脚本：POST /recommend，随机用户与 CLICKS 次随机点击，物品 ID 为整数 1..ITEMS（Amazon 序列文件的命名）。
-- 环境变量 ITEMS（默认 12101）、USERS（默认 22363）、CLICKS（默认 8）、TOPK（默认 10）。
local items = tonumber(os.getenv("ITEMS") or "12101")
local users = tonumber(os.getenv("USERS") or "22363")
local clicks = tonumber(os.getenv("CLICKS") or "8")
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
  local c = {}
  for i = 1, clicks do c[i] = string.format('"%d"', math.random(1, items)) end
  local body = string.format('{"user_id":"%d","recent_clicks":[%s],"top_k":%s}',
    math.random(1, users), table.concat(c, ","), topk)
  return wrk.format("POST", "/recommend", {["Content-Type"] = "application/json"}, body)
end
