-- Claim a code and draw its prize, atomically: one round trip, nothing awarded twice, no
-- budget overspent. Called by rewards/claims.py, which documents KEYS and ARGV.
local version = redis.call('GET', KEYS[1]) or '0'
if version ~= ARGV[1] then
  return {'stale'}
end

local field = ARGV[2]
local previous = redis.call('HGET', KEYS[2], field)
if previous then
  -- Claimed before: by this consumer (a repeat) or by another (a signal for risk). Either
  -- way the scan is recorded here, so that no answer costs a second round trip.
  -- openid|tier|at ms|scan id|held (records written before `held` have no last field)
  local body = string.match(previous, '|[01]$') and string.sub(previous, 1, -3) or previous
  local first_openid = string.match(body, '^(.*)|[^|]*|[^|]*|[^|]*$')
  local outcome = first_openid == ARGV[3] and 'repeat' or 'already_claimed'
  redis.call('XADD', KEYS[9], '*', 'scan', ARGV[13], 'outcome', outcome)
  return {'claimed', previous}
end

local function count(key)
  return tonumber(redis.call('GET', key) or '0')
end

local day_limit, total_limit = tonumber(ARGV[10]), tonumber(ARGV[11])
if (day_limit >= 0 and count(KEYS[7]) >= day_limit)
    or (total_limit >= 0 and count(KEYS[8]) >= total_limit) then
  redis.call('XADD', KEYS[9], '*', 'scan', ARGV[13], 'outcome', 'limit_reached')
  return {'limit'}
end

-- Budgets left: campaign total, campaign today, region total, region today (-1: no limit).
local left = {}
for i = 0, 3 do
  local limit = tonumber(ARGV[6 + i])
  left[i + 1] = limit < 0 and math.huge or (limit - count(KEYS[3 + i]))
end

local tiers = cjson.decode(ARGV[14])
local n = #tiers
for i = 1, n do
  tiers[i].counter = KEYS[9 + i]
end

local function payable(t)
  if t.max >= 0 and count(t.counter) >= t.max then return false end
  for i = 1, 4 do
    if t.cost > left[i] then return false end
  end
  return true
end

-- Draw by probability; a tier that cannot be paid falls to the next one in the table.
local r, acc, chosen = tonumber(ARGV[4]), 0, nil
for i = 1, n do
  acc = acc + tiers[i].p
  if r < acc then
    for j = i, n do
      if payable(tiers[j]) then chosen = tiers[j] break end
    end
    break
  end
end

local now, ttl = ARGV[5], tonumber(ARGV[12])
local tier_key, cost = 'thanks', 0
if chosen then
  tier_key, cost = chosen.key, chosen.cost
  redis.call('INCR', chosen.counter)
  for i = 0, 3 do
    if cost > 0 then
      redis.call('INCRBY', KEYS[3 + i], cost)
      if i == 1 or i == 3 then redis.call('EXPIRE', KEYS[3 + i], ttl) end
    end
  end
  redis.call('INCR', KEYS[7])
  redis.call('EXPIRE', KEYS[7], ttl)
  redis.call('INCR', KEYS[8])
  redis.call('EXPIRE', KEYS[8], tonumber(ARGV[18]))
end
if chosen and chosen.extra ~= '' then
  -- A voucher: its terms under its own key, for the store that redeems it (KEYS[10 + n]).
  local terms = cjson.decode(chosen.extra)
  redis.call('SET', KEYS[10 + n], ARGV[16] .. '|' .. now .. '|' .. chosen.extra,
             'EX', terms.valid_days * 86400 + 7 * 86400)
end
local record = ARGV[3] .. '|' .. tier_key .. '|' .. now .. '|' .. ARGV[15] .. '|' .. ARGV[17]
redis.call('HSET', KEYS[2], field, record)
redis.call('XADD', KEYS[9], '*', 'scan', ARGV[13], 'outcome', chosen and 'won' or 'thanks',
           'tier', tier_key, 'cost', tostring(cost),
           'kind', chosen and chosen.kind or '', 'points', chosen and chosen.points or '0',
           'extra', chosen and chosen.extra or '')
return {chosen and 'won' or 'thanks', tier_key}
