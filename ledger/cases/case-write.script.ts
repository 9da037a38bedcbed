import { createHash } from 'node:crypto';

/** An index entry is the case's business number unless a member is given (an alert on the timetable). */
export type WriteOp =
  | { op: 'ZADD'; key: string; score: number; member?: string }
  | { op: 'ZREM'; key: string; member?: string }
  | { op: 'HINCRBY'; key: string; field: string; amount: number }
  | { op: 'CLAIM'; key: string };

/**
 * Alerts to put on or take off the deadline-alert timetable (a sorted set of
 * plan ids by fire time, queues/deadline-alerts.queue.ts), written with the
 * change that plans them.
 */
export interface TimetableWrites {
  key: string;
  schedule: [fireAt: number, id: string][];
  cancel: string[];
}

/**
 * Writes a case, its event and its index changes as one Lua script: either all
 * happen or none, and only over the version the change was computed from (an
 * optimistic lock), so two workers can never both apply a transition.
 * Statistics counters move in the same write. KEYS: case, events, idempotency,
 * ...index and counter keys. ARGV: expected version (-1: must not exist),
 * stored record (case-record.codec.ts), event type/at/actor/data, member,
 * the idempotency key's value ('' when no key applies) and its lifetime, then an (op, a, b) triple per further
 * key: ZADD score member, ZREM member (either member '' for the case's),
 * HINCRBY field amount, or CLAIM: the key must exist and is deleted, else
 * nothing is written ({3}); an uploaded file's record is claimed so, in the
 * write that binds it to a case, so it is bound once. The lock reads the version the stored record starts
 * with: decoding the case in Lua cost about a third of the Redis time of a write.
 */
export const WRITE_CASE = `
local current = redis.call('GET', KEYS[1])
local expected = tonumber(ARGV[1])
local idempotent = ARGV[8] ~= ''
if expected == -1 then
  if idempotent then
    -- Checked again here for two submissions racing past the caller's look-up: the loser has taken a sequence number, the one gap a retry can leave.
    local existing = redis.call('GET', KEYS[3])
    if existing then return {2, existing} end
  end
  if current then return {0, ''} end
else
  if not current then return {-1, ''} end
  if tonumber(string.match(current, '^(%d+):')) ~= expected then return {0, ''} end
end
for i = 4, #KEYS do
  if ARGV[3 * i - 2] == 'CLAIM' and redis.call('EXISTS', KEYS[i]) == 0 then return {3, ''} end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('RPUSH', KEYS[2], cjson.encode({type = ARGV[3], at = ARGV[4], actor = ARGV[5], data = ARGV[6]}))
if expected == -1 and idempotent then redis.call('SET', KEYS[3], ARGV[8], 'EX', ARGV[9]) end
for i = 4, #KEYS do
  local op, a, b = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  if op == 'ZADD' then redis.call('ZADD', KEYS[i], a, b ~= '' and b or ARGV[7])
  elseif op == 'ZREM' then redis.call('ZREM', KEYS[i], a ~= '' and a or ARGV[7])
  elseif op == 'CLAIM' then redis.call('DEL', KEYS[i])
  else redis.call('HINCRBY', KEYS[i], a, b) end
end
return {1, ARGV[7]}
`;
export const WRITE_CASE_SHA = createHash('sha1').update(WRITE_CASE).digest('hex');

/**
 * A job a change commits to, written in the same script as the change (a
 * transactional outbox): the workers drain the outbox into its queue, so a
 * change is never saved without its job, whatever fails after the write.
 */
export interface OutboxEntry {
  key: string;
  score: number;
  member: string;
}

export function timetableOps(alerts: TimetableWrites | undefined): WriteOp[] {
  if (!alerts) return [];
  return [
    ...alerts.cancel.map((member): WriteOp => ({ op: 'ZREM', key: alerts.key, member })),
    ...alerts.schedule.map(([score, member]): WriteOp => ({ op: 'ZADD', key: alerts.key, score, member })),
  ];
}

/**
 * Puts an archived case's stub in place of its record, only over the version
 * the archive was made from and only while its event list still holds the
 * events archived (an audit entry appended meanwhile changes no version), so
 * that a concurrent change makes the swap back off and nothing it wrote is
 * lost. KEYS: case, events, the partition's index of closed cases. ARGV:
 * expected version, stub (case-record.codec.ts), member, events archived from
 * the list. Returns 1 swapped, 0 changed meanwhile, -1 no such case.
 */
export const ARCHIVE_CASE = `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
local version, mark = string.match(current, '^(%d+):(.?)')
if tonumber(version) ~= tonumber(ARGV[1]) or mark == '~' then return 0 end
if redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[4]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[3])
return 1
`;
export const ARCHIVE_CASE_SHA = createHash('sha1').update(ARCHIVE_CASE).digest('hex');
