-- Record one consumer scan in the brand's risk windows and read them back, in one round trip.
-- Called by risk/features.py, which documents KEYS and ARGV. Every window is bounded: sorted
-- sets keep 24 hours and at most ARGV[8] members, HyperLogLogs are 12 KB at most and live in
-- four-day buckets, and every key expires.
local now = tonumber(ARGV[1])
local day_ago = now - 86400000
local cap = tonumber(ARGV[8])
local ttl = tonumber(ARGV[9])

local function window(key, present)
  if present == '0' then return {0, 0, 0} end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', day_ago)
  local c10 = redis.call('ZCOUNT', key, now - 600000, '+inf')
  local c60 = redis.call('ZCOUNT', key, now - 3600000, '+inf')
  local c24 = redis.call('ZCARD', key)
  redis.call('ZADD', key, now, ARGV[2])
  if c24 >= cap then redis.call('ZREMRANGEBYRANK', key, 0, c24 - cap) end
  redis.call('PEXPIRE', key, ttl)
  return {c10, c60, c24}
end

local function distinct(now_key, before_key, member, present)
  if present == '0' or member == '' then return 0 end
  redis.call('PFADD', now_key, member)
  redis.call('PEXPIRE', now_key, ttl)
  return redis.call('PFCOUNT', now_key, before_key)
end

-- ARGV[3..6]: openid, device, ip, /24 network ('' when unknown)
local has_dev = ARGV[4] ~= '' and '1' or '0'
local has_ip = ARGV[5] ~= '' and '1' or '0'
local a = window(KEYS[1], '1')
local d = window(KEYS[2], has_dev)
local i = window(KEYS[3], has_ip)

local dev_accounts = distinct(KEYS[9], KEYS[10], ARGV[3], has_dev)
local acct_devices = distinct(KEYS[11], KEYS[12], ARGV[4], has_dev)
local ip_accounts = distinct(KEYS[13], KEYS[14], ARGV[3], has_ip)
local net_accounts = distinct(KEYS[15], KEYS[16], ARGV[3], ARGV[6] ~= '' and '1' or '0')

-- The account's past: first and last scan, where, how many; then this scan becomes the last.
local past = redis.call('HMGET', KEYS[4], 'first', 'last', 'lat', 'lon', 'n')
if not past[1] then redis.call('HSET', KEYS[4], 'first', now) end
redis.call('HSET', KEYS[4], 'last', now, 'n', (tonumber(past[5]) or 0) + 1)
if ARGV[10] ~= '' then redis.call('HSET', KEYS[4], 'lat', ARGV[10], 'lon', ARGV[11]) end
redis.call('PEXPIRE', KEYS[4], ttl * 15)

-- The codes the account scanned lately (batch:serial), to see runs of neighbouring caps.
local serials = redis.call('LRANGE', KEYS[5], 0, 19)
redis.call('LPUSH', KEYS[5], ARGV[7])
redis.call('LTRIM', KEYS[5], 0, 19)
redis.call('PEXPIRE', KEYS[5], ttl * 15)

-- Distinct accounts on the same case; ARGV[12] is '' when the case is unknown.
local case_accounts = 0
if ARGV[12] ~= '' then
  redis.call('PFADD', KEYS[6], ARGV[3])
  redis.call('PEXPIRE', KEYS[6], ttl * 45)
  case_accounts = redis.call('PFCOUNT', KEYS[6])
end

local case = redis.call('HMGET', KEYS[7], 'shipped', 'lat', 'lon', 'opened')
local pallet = redis.call('HMGET', KEYS[8], 'shipped', 'lat', 'lon')
local wins = redis.call('GET', KEYS[17]) or '0'
local ring = redis.call('HMGET', KEYS[18], 'a:' .. ARGV[3], 'd:' .. ARGV[4])

return {
  a[1], a[2], a[3], d[1], d[3], i[2],
  dev_accounts, acct_devices, ip_accounts, net_accounts, case_accounts, wins,
  past[1] or '', past[2] or '', past[3] or '', past[4] or '', past[5] or '0',
  table.concat(serials, ','),
  case[1] or '', case[2] or '', case[3] or '', case[4] or '',
  pallet[1] or '', pallet[2] or '', pallet[3] or '',
  ring[1] or '', ring[2] or ''
}
