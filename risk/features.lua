-- Record one consumer scan in the brand's risk windows and read them back, in one round trip.
-- Called by risk/features.py, which documents KEYS and ARGV. Every structure is bounded in size
-- and in the cost of touching it, however popular its key (a carrier-NAT address sees thousands
-- of accounts): sorted sets keep at most ARGV[8] members, every key expires.
--
-- Each redis.call costs about a microsecond of overhead on top of its command, so the script
-- makes as few as it can: an account's state is one hash, a window reads only the spans its
-- features use, a case's TTL is renewed only when its log grows.
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[8])
local ttl = tonumber(ARGV[9])
local week = tonumber(ARGV[13])
local dcap = tonumber(ARGV[14])
local recent = tonumber(ARGV[16])

-- Scans of one key (a device, an address) before this one, over each span in `spans` (ms; the
-- last is the window).
local function window(key, spans)
  local longest = spans[#spans]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
  local counts = {}
  for n = 1, #spans - 1 do counts[n] = redis.call('ZCOUNT', key, now - spans[n], '+inf') end
  local all = redis.call('ZCARD', key)
  counts[#spans] = all
  redis.call('ZADD', key, now, ARGV[2])
  if all >= cap then redis.call('ZREMRANGEBYRANK', key, 0, all - cap) end
  redis.call('PEXPIRE', key, longest + 60000)
  return counts
end

-- Distinct members seen with one key over the last week, this one included. A sorted set of
-- member -> last seen, capped at the `dcap` most recent: the count saturates there, which is
-- all a feature needs, and the cost stays O(log dcap). (Two-bucket HyperLogLog counts cost
-- 30 µs a call once the logs turned dense, on every scan from a busy address.)
local function distinct(key, member)
  if redis.call('ZADD', key, now, member) == 1 then
    redis.call('ZREMRANGEBYRANK', key, 0, -(dcap + 1))
  end
  local n = redis.call('ZCOUNT', key, now - week, '+inf')
  redis.call('PEXPIRE', key, week)
  return n
end

-- ARGV[3..6]: openid, device, ip, /24 network ('' when unknown); ARGV[7]: this code, batch:serial
local openid, device, ip, net = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local d, i = {0, 0}, {0}
local dev_accounts, ip_accounts, net_accounts = 0, 0, 0
if device ~= '' then
  d = window(KEYS[1], {600000, 86400000})
  dev_accounts = distinct(KEYS[7], openid)
end
if ip ~= '' then
  i = window(KEYS[2], {3600000})
  ip_accounts = distinct(KEYS[8], openid)
end
if net ~= '' then net_accounts = distinct(KEYS[9], openid) end

-- Where the located scans of a key (a network, a case) were: running means of `names` of the
-- positions they sent ('lat', 'lon', and for a network 'lat2', 'lon2', the squares that say
-- how spread out they are), over at most ARGV[17] of them so that it follows a block of
-- addresses that moves. Returns the count and the means as they were before this scan counted.
local function place(key, expire_ms, names)
  local was = redis.call('HMGET', key, 'n', unpack(names))
  if ARGV[10] ~= '' then
    local n = math.min((tonumber(was[1]) or 0) + 1, tonumber(ARGV[17]))
    local lat, lon = tonumber(ARGV[10]), tonumber(ARGV[11])
    local seen = {lat = lat, lon = lon, lat2 = lat * lat, lon2 = lon * lon}
    local update = {'n', n}
    for k, name in ipairs(names) do
      local mean = tonumber(was[k + 1]) or 0
      update[#update + 1] = name
      update[#update + 1] = tostring(mean + (seen[name] - mean) / n)
    end
    redis.call('HSET', key, unpack(update))
    redis.call('PEXPIRE', key, expire_ms)
  end
  return was
end

-- The network's place locates a scan that sends no position (IP geolocation learned from the
-- brand's own scans; coarse on mobile networks, which is why the model weighs it). The case's
-- place is where it sold: its caps are drunk near the shop, wherever the dealer was meant to
-- sell it (a diverted case too), while caps collected from bars and recycling stations are
-- scanned far from their case-mates.
local net_place, case_place = {}, {}
if net ~= '' then net_place = place(KEYS[13], week * 4, {'lat', 'lon', 'lat2', 'lon2'}) end
if ARGV[12] ~= '' then case_place = place(KEYS[14], ttl * 45, {'lat', 'lon'}) end

-- Distinct accounts on the same case (a HyperLogLog: at most a case's bottles, so it stays
-- sparse and its count cached); ARGV[12] is '' when the case is unknown.
local case_accounts = 0
local case, pallet = {}, {}
if ARGV[12] ~= '' then
  if redis.call('PFADD', KEYS[4], openid) == 1 then redis.call('PEXPIRE', KEYS[4], ttl * 45) end
  case_accounts = redis.call('PFCOUNT', KEYS[4])
  case = redis.call('HMGET', KEYS[5], 'shipped', 'lat', 'lon', 'opened')
end
if ARGV[15] ~= '' then pallet = redis.call('HMGET', KEYS[6], 'shipped', 'lat', 'lon') end

-- A cap of a known case that nobody shipped or opened has not left the warehouse, as far as the
-- books know: an honest buyer meets one now and then (a PDA syncs within a day), a leaked print
-- file every time.
local unshipped = 0
if ARGV[12] ~= '' and not case[1] and not case[4] and not pallet[1] then unshipped = 1 end

-- The account, in one hash: first and last scan, how many ever and how many of them were caps
-- that had not left the warehouse, where it was last, and its scans of the last week, newest
-- first, at most `recent` of them. A scan is "ms US code US case US device", scans are separated
-- by RS (US and RS are ASCII 31 and 30, which features.py keeps out of device ids). Most accounts
-- scan a few caps a week, so one read and one write replace a window, a distinct set and a
-- list; the counts saturate at `recent`, far above what anyone honest reaches.
local past = redis.call('HMGET', KEYS[3], 'first', 'last', 'lat', 'lon', 'n', 'r', 'dpeak', 'nu')
local a10, a60, a24, acct_devices, acct_cases = 0, 0, 0, 0, 0
local devices, cases, codes = {}, {}, {}
if device ~= '' then devices[device] = true; acct_devices = 1 end
if ARGV[12] ~= '' then cases[ARGV[12]] = true; acct_cases = 1 end
local kept = {now .. '\31' .. ARGV[7] .. '\31' .. ARGV[12] .. '\31' .. device}
for entry in string.gmatch(past[6] or '', '[^\30]+') do
  if #kept >= recent then break end
  local ms, code, its_case, dev = string.match(entry, '^(%d+)\31([^\31]*)\31([^\31]*)\31(.*)$')
  ms = tonumber(ms)
  if ms and ms > now - week then
    kept[#kept + 1] = entry
    if ms > now - 86400000 then a24 = a24 + 1 end
    if ms > now - 3600000 then a60 = a60 + 1 end
    if ms > now - 600000 then a10 = a10 + 1 end
    if #codes < 20 then codes[#codes + 1] = code end
    if dev ~= '' and not devices[dev] then devices[dev] = true; acct_devices = acct_devices + 1 end
    if its_case ~= '' and not cases[its_case] then
      cases[its_case] = true; acct_cases = acct_cases + 1
    end
  end
end
-- The most accounts ever seen on a phone this account scanned with, as that phone counted them
-- then: an account a farm's or a ring organiser's phone logged in once carries it to its own.
local device_peak = math.max(tonumber(past[7]) or 0, dev_accounts)
local acct_unshipped = (tonumber(past[8]) or 0) + unshipped
local update = {
  'last', now, 'n', (tonumber(past[5]) or 0) + 1, 'r', table.concat(kept, '\30'),
  'dpeak', device_peak, 'nu', acct_unshipped
}
if not past[1] then table.insert(update, 'first'); table.insert(update, now) end
if ARGV[10] ~= '' then
  table.insert(update, 'lat'); table.insert(update, ARGV[10])
  table.insert(update, 'lon'); table.insert(update, ARGV[11])
end
redis.call('HSET', KEYS[3], unpack(update))
redis.call('PEXPIRE', KEYS[3], ttl * 15)

local wins = redis.call('GET', KEYS[10]) or '0'
local ring = redis.call('HMGET', KEYS[11], 'a:' .. openid, 'd:' .. device)
-- The brand's consumer scans in this second (its key names the second), for its rate limit.
local brand_now = redis.call('INCR', KEYS[12])
if brand_now == 1 then redis.call('PEXPIRE', KEYS[12], 2000) end

return {
  a10, a60, a24, d[1], d[2], i[1],
  dev_accounts, acct_devices, ip_accounts, net_accounts, case_accounts, wins,
  past[1] or '', past[2] or '', past[3] or '', past[4] or '', past[5] or '0',
  table.concat(codes, ','),
  case[1] or '', case[2] or '', case[3] or '', case[4] or '',
  pallet[1] or '', pallet[2] or '', pallet[3] or '',
  ring[1] or '', ring[2] or '', acct_cases, brand_now, device_peak,
  acct_unshipped, net_place[1] or '0', net_place[2] or '', net_place[3] or '',
  net_place[4] or '', net_place[5] or '',
  case_place[1] or '0', case_place[2] or '', case_place[3] or ''
}
