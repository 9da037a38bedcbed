import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/errors.js';
import { cityLevelAddress } from '../../ledger/shipments/address.formatter.js';
import { costBearerOf } from '../../ledger/shipments/cost-bearer.policy.js';
import { isLate, needsAttention, type ShipmentRecord, type ShipmentState } from '../../ledger/shipments/shipment.model.js';

function shipment(states: ShipmentState[], sendBy: string | null = '2025-11-26T23:59:59+08:00'): ShipmentRecord {
  const events = states.map((state, index) => ({ seq: index + 1, state, at: '2025-11-24T10:00:00+08:00', place: '网上下单' }));
  return {
    waybillNo: '1123000000001',
    businessNo: 'TB2025112450000000001',
    parties: { receivingWindowId: 'W-500000-01', jurisdictionWindowId: 'W-510000-01', jurisdictionRegion: 'SICHUAN', receivingDivisionCode: '500000' },
    purpose: 'MATERIALS',
    fromWindowId: 'W-500000-01',
    toWindowId: 'W-510000-01',
    toAddress: '四川省成都市',
    contents: ['申请表'],
    costBearer: 'JURISDICTION',
    sendBy,
    createdAt: '2025-11-24T10:00:00+08:00',
    version: 1,
    state: states.at(-1)!,
    events,
    effects: [],
  };
}

describe('shipment rules', () => {
  const before = new Date('2025-11-26T23:59:59+08:00');
  const after = new Date('2025-11-27T00:00:00+08:00');

  it('is late only past sendBy and only while not collected', () => {
    expect(isLate(shipment(['ORDERED']), before)).toBe(false);
    expect(isLate(shipment(['ORDERED']), after)).toBe(true);
    expect(isLate(shipment(['ORDERED', 'EXCEPTION']), after)).toBe(true);
    expect(isLate(shipment(['ORDERED', 'COLLECTED']), after)).toBe(false);
    expect(isLate(shipment(['ORDERED', 'IN_TRANSIT']), after)).toBe(false);
    expect(isLate(shipment(['ORDERED', 'CANCELLED']), after)).toBe(false);
    expect(isLate(shipment(['ORDERED'], null), after)).toBe(false);
  });

  it('needs attention when returned or in exception, not once the courier resumed', () => {
    expect(needsAttention(shipment(['ORDERED', 'COLLECTED', 'RETURNED']))).toBe(true);
    expect(needsAttention(shipment(['ORDERED', 'COLLECTED', 'EXCEPTION']))).toBe(true);
    expect(needsAttention(shipment(['ORDERED', 'COLLECTED', 'EXCEPTION', 'IN_TRANSIT']))).toBe(false);
    expect(needsAttention(shipment(['ORDERED', 'CANCELLED']))).toBe(false);
  });

  it('bills 川渝通办 to the jurisdiction and 省内通办 and 跨区县通办 to the sender, and refuses to guess for 跨省通办', () => {
    expect(costBearerOf('SICHUAN_CHONGQING')).toBe('JURISDICTION');
    expect(costBearerOf('IN_PROVINCE')).toBe('SENDER');
    expect(costBearerOf('CROSS_DISTRICT')).toBe('SENDER');
    expect(() => costBearerOf('CROSS_PROVINCE')).toThrow(DomainError);
    expect(() => costBearerOf('CROSS_PROVINCE')).toThrow(expect.objectContaining({ code: 'SHIPMENT.NO_COST_RULE' }));
  });

  it.each([
    ['四川省成都市武侯区天府大道北段1号 川渝通办窗口', '四川省成都市'],
    ['重庆市渝北区青枫北路1号 川渝通办窗口', '重庆市'],
    ['四川省阿坝州马尔康市达萨街1号', '四川省阿坝州'],
    ['四川省阿坝藏族羌族自治州汶川县威州镇新桥街1号', '四川省阿坝藏族羌族自治州'],
    ['四川省 达州市 通川区通川中路1号', '四川省达州市'],
    ['广西壮族自治区南宁市青秀区民族大道1号', '广西壮族自治区南宁市'],
    ['重庆市渝北区省府路1号农贸市场', '重庆市'],
  ])('shows %s as %s', (address, city) => {
    expect(cityLevelAddress(address)).toBe(city);
  });

  it('shows nothing of an address whose city it cannot read', () => {
    expect(cityLevelAddress('青枫北路1号')).toBeNull();
    expect(cityLevelAddress('渝北区省府路1号农贸市场')).toBeNull();
  });
});
