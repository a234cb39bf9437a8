-- wrk 脚本：合法与非法请求混合（负载与热加载基准用）。按状态码类别与响应中的 model_version 计数，结束时打印。
-- 比例：60% 合法单个请求、10% 合法批量、5% 带过滤的请求，其余是各种坏请求（坏 JSON、类型错误、top_k 越界、
-- 未知路由、错误方法、过大的批量）。环境变量 ITEMS、USERS 给出目录大小（物品 "i<k>" 或数字 ID 由 ID_PREFIX 决定）。
local items = tonumber(os.getenv("ITEMS") or "1000")
local users = tonumber(os.getenv("USERS") or "1000")
local prefix = os.getenv("ID_PREFIX") or "i"
local uprefix = os.getenv("USER_PREFIX") or "u"
local threads = {}

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed or os.time())
  counts = {["2xx"] = 0, ["4xx"] = 0, ["5xx"] = 0, other = 0}
  versions = {}
end

local function item() return '"' .. prefix .. math.random(0, items - 1) .. '"' end
local function valid()
  return string.format('{"user_id":"%s%d","recent_clicks":[%s,%s],"top_k":10}', uprefix, math.random(0, users - 1), item(), item())
end
local H = {["Content-Type"] = "application/json"}

function request()
  local r = math.random(100)
  if r <= 60 then return wrk.format("POST", "/recommend", H, valid())
  elseif r <= 70 then return wrk.format("POST", "/recommend/batch", H, '{"requests":[' .. valid() .. ',' .. valid() .. ',' .. valid() .. ']}')
  elseif r <= 75 then return wrk.format("POST", "/recommend", H, string.format('{"user_id":null,"recent_clicks":[%s],"allow_items":[%s,%s,%s],"deny_items":[%s]}', item(), item(), item(), item(), item()))
  elseif r <= 80 then return wrk.format("POST", "/recommend", H, '{"user_id": "u1", "recent_clicks": [1, 2')
  elseif r <= 85 then return wrk.format("POST", "/recommend", H, '{"user_id": {"a": 1}, "recent_clicks": "x"}')
  elseif r <= 90 then return wrk.format("POST", "/recommend", H, '{"user_id": "u1", "recent_clicks": [], "top_k": 100000000}')
  elseif r <= 94 then return wrk.format("GET", "/nope/" .. math.random(1000), nil, nil)
  elseif r <= 97 then return wrk.format("GET", "/recommend", nil, nil)
  else
    local reqs = {}
    for i = 1, 300 do reqs[i] = valid() end
    return wrk.format("POST", "/recommend/batch", H, '{"requests":[' .. table.concat(reqs, ",") .. ']}')
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then counts["2xx"] = counts["2xx"] + 1
  elseif status >= 400 and status < 500 then counts["4xx"] = counts["4xx"] + 1
  elseif status >= 500 then counts["5xx"] = counts["5xx"] + 1
  else counts.other = counts.other + 1 end
  local v = headers["X-Model-Version"]
  if v then versions[v] = (versions[v] or 0) + 1 end
end

function done(summary, latency, requests)
  local total = {["2xx"] = 0, ["4xx"] = 0, ["5xx"] = 0, other = 0}
  local vs = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = total[k] + v end
    for k, v in pairs(t:get("versions")) do vs[k] = (vs[k] or 0) + v end
  end
  io.write(string.format("STATUS 2xx=%d 4xx=%d 5xx=%d other=%d\n", total["2xx"], total["4xx"], total["5xx"], total.other))
  for k, v in pairs(vs) do io.write(string.format("VERSION %s %d\n", k, v)) end
  local e = summary.errors
  io.write(string.format("ERRORS connect=%d read=%d write=%d timeout=%d status=%d\n", e.connect, e.read, e.write, e.timeout, e.status))
end
