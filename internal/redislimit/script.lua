-- The limits' counts, one round trip per operation, on Redis's clock so
-- that every instance agrees whatever its own clock says. Times are whole
-- microseconds, passed as '%.0f' strings: Redis turns a Lua number into a
-- string with 14 significant digits, too few for a timestamp.
--
-- ARGV[1] is the operation:
--   check  KEYS: buckets; ARGV[2i], ARGV[2i+1]: bucket i's capacity and
--          rate (tokens a second). Returns {i, wait µs} for the first
--          bucket holding less than one token, {0, 0} when none.
--   charge the same KEYS and ARGV: takes one token from each bucket, down
--          to minus its capacity. Returns {0, 0}.
--   call   KEYS[1]: an account's calls; ARGV[2]: calls a second; ARGV[3]:
--          a member unique to this call. A sliding window: admits the call
--          when fewer than ARGV[2] calls were admitted in the last second.
--          Returns {0, 0}, or {1, wait µs}.
--   succeed  KEYS[1]: a failure bucket, KEYS[2]: an account's calls;
--          ARGV[2], ARGV[3] as for call. Deletes (fills) the bucket, then
--          is call on KEYS[2]: a successful authentication's two updates
--          in one round trip. The bucket is filled even when the call is
--          refused.
--
-- A token bucket is stored as its theoretical arrival time (GCRA): the
-- time at which it will be full again. A bucket with capacity c, refilled
-- every per µs, holds c - (tat - now) / per tokens. A full bucket has no
-- key: each key expires when its bucket is full again.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op = ARGV[1]

local function fmt(x) return string.format('%.0f', x) end

if op == 'call' or op == 'succeed' then
  local k, n = KEYS[1], tonumber(ARGV[2])
  if op == 'succeed' then
    redis.call('DEL', KEYS[1])
    k = KEYS[2]
  end
  redis.call('ZREMRANGEBYSCORE', k, '-inf', fmt(now - 1000000))
  local count = redis.call('ZCARD', k)
  if count >= n then
    -- The call that frees a place is the (count-n+1)th oldest.
    local oldest = redis.call('ZRANGE', k, count - n, count - n, 'WITHSCORES')
    return {1, math.max(1, tonumber(oldest[2]) + 1000000 - now)}
  end
  redis.call('ZADD', k, fmt(now), fmt(now) .. ':' .. ARGV[3])
  redis.call('PEXPIRE', k, 1001)
  return {0, 0}
end

for i = 1, #KEYS do
  local k = KEYS[i]
  local cap = tonumber(ARGV[2 * i])
  local per = 1000000 / tonumber(ARGV[2 * i + 1])
  local tat = now
  local v = redis.call('GET', k)
  if v then tat = math.max(now, tonumber(v)) end
  if op == 'check' then
    -- Fewer than one token: tat - now > (cap - 1) * per, give or take a
    -- microsecond of rounding.
    local excess = tat - now - (cap - 1) * per
    if excess > 1 + per * 1e-6 then return {i, math.ceil(excess)} end
  elseif op == 'charge' then
    local nt = math.min(tat + per, now + 2 * cap * per)
    redis.call('SET', k, fmt(nt), 'PX', math.ceil((nt - now) / 1000))
  end
end
return {0, 0}
