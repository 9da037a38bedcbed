import type { Redis } from 'ioredis';
import type { AlertKind, AlertLevel } from './case-alerts.js';

export type AlertStatus = 'OPEN' | 'ACKNOWLEDGED';

export interface AlertRecord {
  id: string;
  businessNo: string;
  kind: AlertKind;
  level: AlertLevel;
  dueAt: string;
  raisedAt: string;
  windowIds: string[];
  status: AlertStatus;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

/**
 * Raised alerts and their indexes share the hash tag {alerts}: one slot, so
 * raising one is one script on Redis Cluster too (SCALING.md sizes it).
 */
const alertKey = (id: string) => `alert:{alerts}:${id}`;
const byStatus = (status: AlertStatus) => `alerts:{alerts}:status:${status}`;
const byWindow = (windowId: string) => `alerts:{alerts}:window:${windowId}`;

/** The alert and its index entries appear together, and an alert id is raised at most once. */
const RAISE = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
for i = 2, #KEYS do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
return 1
`;

const ACKNOWLEDGE = `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if cjson.decode(current)['status'] ~= 'OPEN' then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
`;

export class AlertStore {
  constructor(private readonly redis: Redis) {}

  /** True when this call raised the alert; false when it had been raised already. */
  async raise(alert: AlertRecord): Promise<boolean> {
    const keys = [alertKey(alert.id), byStatus('OPEN'), ...alert.windowIds.map(byWindow)];
    const created = await this.redis.eval(RAISE, keys.length, ...keys, JSON.stringify(alert), String(Date.parse(alert.raisedAt)), alert.id);
    return created === 1;
  }

  async get(id: string): Promise<AlertRecord | null> {
    const value = await this.redis.get(alertKey(id));
    return value ? (JSON.parse(value) as AlertRecord) : null;
  }

  /** Newest first, from the status or window index. */
  async list(filter: { status?: AlertStatus; windowId?: string }, limit = 200): Promise<AlertRecord[]> {
    const index = filter.windowId ? byWindow(filter.windowId) : byStatus(filter.status ?? 'OPEN');
    const ids = await this.redis.zrevrange(index, '0', String(limit - 1));
    if (ids.length === 0) return [];
    const alerts = (await this.redis.mget(ids.map(alertKey))).flatMap((v) => (v ? [JSON.parse(v) as AlertRecord] : []));
    return filter.status ? alerts.filter((a) => a.status === filter.status) : alerts;
  }

  async acknowledge(id: string, actor: string, at: string): Promise<AlertRecord | null> {
    const current = await this.get(id);
    if (!current) return null;
    const next: AlertRecord = { ...current, status: 'ACKNOWLEDGED', acknowledgedBy: actor, acknowledgedAt: at };
    const result = await this.redis.eval(
      ACKNOWLEDGE,
      3,
      alertKey(id),
      byStatus('OPEN'),
      byStatus('ACKNOWLEDGED'),
      JSON.stringify(next),
      String(Date.parse(at)),
      id,
    );
    return result === 1 ? next : this.get(id);
  }
}
