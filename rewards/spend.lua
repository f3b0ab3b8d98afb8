-- Spend `amount` fen of a campaign's budget if the total and today's budget both allow it.
-- KEYS: total spent, today's spent. ARGV: amount, total limit, daily limit (-1: none), ttl.
local amount = tonumber(ARGV[1])
local total_limit, day_limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local today = tonumber(redis.call('GET', KEYS[2]) or '0')
if (total_limit >= 0 and spent + amount > total_limit)
    or (day_limit >= 0 and today + amount > day_limit) then
  return 0
end
redis.call('INCRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return 1
