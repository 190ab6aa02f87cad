-- One shopper type of the Black Friday drill, run by wrk (tools/Headless.Drill/ShopperMix.cs fills the @…@ values).
-- Every connection is its own wrk thread (-t N -c N), so the cart/checkout steps of one connection never mix
-- with another's. Each answer is written to this thread's log as "epoch-seconds step status retry-after order
-- problem" ("-" for none; problem is the last part of an RFC 9457 type, so a 503 says whose it was);
-- done() prints wrk's own latency percentiles for the process (one process per shopper type).
local kind = "@KIND@"
local out_dir = "@OUT@"
local paths_file = "@PATHS@"
local pause_ms = @DELAY_MS@
-- "test": pay with the API's test provider (a fourth step); "stripe": the drill pays through Stripe's webhook.
local pay = "@PAY@"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local paths, skus = {}, {}
local log, step, token, key, intent, current
local json = { ["Content-Type"] = "application/json" }

local function uuid()
  return string.format("%08x-%04x-4%03x-a%03x-%06x%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

function init(args)
  log = io.open(out_dir .. "/" .. kind .. "-" .. id .. ".log", "w")
  log:setvbuf("line")
  for line in io.lines(paths_file) do
    if line:sub(1, 4) == "sku " then skus[#skus + 1] = line:sub(5) else paths[#paths + 1] = line end
  end
  math.randomseed(id * 7919 + os.time())
  step = 0
end

function delay()
  return pause_ms
end

function request()
  if kind == "browse" or kind == "search" then
    current = kind
    return wrk.format("GET", paths[math.random(#paths)])
  end
  if step == 0 then
    current = "cart"
    return wrk.format("POST", "/api/v1/carts", json, '{"currency":"EUR"}')
  elseif step == 1 then
    current = "line"
    return wrk.format("POST", "/api/v1/carts/" .. token .. "/lines", json,
      '{"sku":"' .. skus[math.random(#skus)] .. '","quantity":1}')
  elseif step == 2 then
    current = "checkout"
    local h = { ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }
    return wrk.format("POST", "/api/v1/checkouts", h, '{"cartToken":"' .. token .. '","email":"drill' .. id ..
      '@example.com","shippingAddress":{"fullName":"Drill Shopper","line1":"Hauptstrasse 1","city":"Berlin","postalCode":"10115","country":"DE"},"shippingMethod":"standard"}')
  else
    current = "pay"
    return wrk.format("POST", "/api/v1/test-payments/" .. intent .. "/confirm", json,
      '{"cardNumber":"4242424242424242","expiry":"12/30","cvc":"123"}')
  end
end

-- A retryable answer (5xx, 429, 409 in flight) repeats the same step, with the same Idempotency-Key for a
-- checkout, as a careful client does; any other refusal starts a new cart.
local function retryable(status)
  return status >= 500 or status == 429 or status == 409
end

function response(status, headers, body)
  local retry_after = headers["Retry-After"] or headers["retry-after"] or "-"
  local order = ""
  if current == "cart" then
    if status == 201 then
      token = body:match('"token"%s*:%s*"([^"]+)"')
      step = token and 1 or 0
    end
  elseif current == "line" then
    if status == 200 or status == 201 then
      if kind == "checkout" then
        step = 2
        key = uuid()
      else
        step = 0
      end
    elseif not retryable(status) then
      step = 0
    end
  elseif current == "checkout" then
    if status == 201 then
      order = body:match('"number"%s*:%s*"([^"]+)"') or "?"
      intent = body:match('"paymentIntentId"%s*:%s*"([^"]+)"')
      step = (pay == "test" and intent) and 3 or 0
    elseif not retryable(status) then
      step = 0
    end
  elseif current == "pay" then
    if not retryable(status) then
      step = 0
    end
  end
  local problem = "-"
  if status >= 400 and body then
    problem = body:match('"type"%s*:%s*"[^"]*/([%w%-]+)"') or "-"
  end
  if order == "" then order = "-" end
  log:write(os.time(), " ", current, " ", status, " ", retry_after, " ", order, " ", problem, "\n")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'DRILL_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
