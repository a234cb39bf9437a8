-- wrk 脚本：POST /events。BATCH（默认 1）个事件一个请求：随机用户 "u<k>"、随机物品 "i<k>"，
-- 类型按 8:1:1 取 clicks / carts / orders，每个事件一个唯一的 event_id（线程编号 + 序号）。
-- 环境变量 ITEMS、USERS 给出编号范围。
local items = tonumber(os.getenv("ITEMS") or "5000")
local users = tonumber(os.getenv("USERS") or "3000")
local batch = tonumber(os.getenv("BATCH") or "1")
local run = os.getenv("RUN") or "0"  -- 同一个存储上的几次运行用不同的 RUN，event_id 才不重复
local types = {"clicks", "clicks", "clicks", "clicks", "clicks", "clicks", "clicks", "clicks", "carts", "orders"}

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
  n = 0
end

-- 一个事件的 JSON。
local function event()
  n = n + 1
  return string.format('{"user_id":"u%d","item_id":"i%d","type":"%s","event_id":"%s-%d-%d"}',
    math.random(0, users - 1), math.random(0, items - 1), types[math.random(1, 10)], run, tid or 0, n)
end

function request()
  local body
  if batch == 1 then
    body = event()
  else
    local parts = {}
    for i = 1, batch do parts[i] = event() end
    body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  end
  return wrk.format("POST", "/events", {["Content-Type"] = "application/json"}, body)
end
