import { describe, expect, it } from 'vitest';
import { decodeCaseRecord, decodeStoredCase, encodeCaseRecord, encodeCaseStub } from '../../ledger/cases/case-record.codec.js';
import type { CaseRecord, CaseStub } from '../../ledger/cases/case.model.js';

/** A case forwarded to 渝快办, as the store wrote it with this codec: the format on disk must keep reading. */
const STORED = 'MzrtlstOwkAUht/FtYspbVGXgpoQIyaUDSteBQmohQglouEmSAxCws1oCFhAX6ZnZljxCqblIi1tIqXs3E/OnJk5//fNCmhYU9AwjIvjEWKQNr6HK9zxBi4FIXziE4IBn1c9+AI6Pn84GDj2C2enAQN35jFBCHGGOP0FPtAp48exMrgn9Qx+yNPoOynE8FsGEuVJM0faIrRf8XOVFGK080WaSehUsfi5YNIcWbaL6EA3ubkD+RoG0VkfUM9CJqeMCovNVkjHWQCQ3QiAuCLhigT9Gmkk8UsE95K4JE7yEsRbkB7o8XjEsLz6XBdIfTcU4lhzYNJeD/o1PTYZF8vx7gPn8KmNjhP41Arp8ImfUlAsWmWMZD9ot6/IMpWbynBMu1c4l3I0ePvLPNsbqlmHtNpY72pzCvw2Q4ZpKtWmo1tIlCHemo5EKMlYjCjjb5JtGO/BJnNMzGXGFzOZma/b1m+WiDN6b7mQ39iA1hy168W90Ln6nXMzjIv1eNxeTqMsYtVQ7laWmt9UmTjtyuX9rrnGnkMt61m49T/3u8z9Nn+NHw==';

const RECORD = {"version":3,"businessNo":"TB2025112450010100008","scope":"CROSS_DISTRICT","stage":"IN_TRANSFER","itemCode":"500000-00004","jurisdictionRegion":"CHONGQING","item":{"name":"实施专科教育的民办高等学校的设立审批","legalName":"实施专科教育的民办高等学校的设立审批","department":"重庆市教育委员会","legalLimitDays":40,"promisedLimitDays":13},"applicant":{"kind":"ORGANISATION","name":"某某工程检测有限公司","idNumber":"91350100M000100Y43"},"contact":{"name":"赵工","phone":"13812345678"},"delivery":{"method":"PICKUP","address":null},"receivingWindowId":"W-500101-01","jurisdictionWindowId":"W-500000-01","receivingDivisionCode":"500101","handler":"李四","materials":[{"name":"申请人身份证明","form":"ORIGINAL_AND_COPY","copies":1,"verdict":"QUALIFIED","opinion":null},{"name":"实施专科教育的民办高等学校的设立审批申请表","form":"ORIGINAL","copies":1,"verdict":"QUALIFIED","opinion":null},{"name":"经营（办公）场所使用证明","form":"COPY","copies":1,"verdict":"QUALIFIED","opinion":null}],"appliedAt":"2025-11-24T02:00:00.000Z","acceptedAt":"2025-11-24T02:00:00.000Z","correction":null,"transfer":{"channel":"ONLINE","dispatchedAt":"2025-11-24T02:00:00.000Z","onlineDueAt":"2025-11-25T23:59:59+08:00","paperDueAt":null,"forwardedAt":"2025-11-24T02:00:00.000Z","paperSentAt":null,"receivedAt":null},"platformCaseId":"YKB20261123BB6C41000003","platformStage":"SUBMITTED","decision":null,"refusalReasons":[],"result":null,"clock":{"phase":"PAUSED","events":[{"type":"START","at":"2025-11-24T02:00:00.000Z"},{"type":"PAUSE","at":"2025-11-24T02:00:00.000Z"}]},"notices":[{"id":"N1","kind":"RECEIPT","issuedAt":"2025-11-24T02:00:00.000Z","materials":[{"name":"申请人身份证明","form":"ORIGINAL_AND_COPY","copies":1,"verdict":"QUALIFIED","opinion":null},{"name":"实施专科教育的民办高等学校的设立审批申请表","form":"ORIGINAL","copies":1,"verdict":"QUALIFIED","opinion":null},{"name":"经营（办公）场所使用证明","form":"COPY","copies":1,"verdict":"QUALIFIED","opinion":null}]}],"evaluation":null,"updatedAt":"2025-11-24T02:00:00.000Z"} as CaseRecord;

describe('case record codec', () => {
  it('reads a record stored with this format, byte for byte as it was written', () => {
    expect(decodeCaseRecord(Buffer.from(STORED, 'base64'))).toEqual(RECORD);
  });

  it('starts with the version, for the write script\'s lock, and round-trips every field', () => {
    for (const version of [1, 42, 1_000_000]) {
      const stored = encodeCaseRecord({ ...RECORD, version });
      expect(stored.subarray(0, String(version).length + 1).toString('ascii')).toBe(`${version}:`);
      expect(decodeCaseRecord(stored)).toEqual({ ...RECORD, version });
    }
  });

  it('keeps a case in under a quarter of its JSON', () => {
    expect(encodeCaseRecord(RECORD).length).toBeLessThan(JSON.stringify(RECORD).length / 4);
  });

  it('round-trips what the dictionary has never seen: long opinions, addresses, any Unicode', () => {
    const unusual: CaseRecord = {
      ...RECORD,
      delivery: { method: 'MAIL', address: { recipient: '张三', phone: '13900000000', address: '四川省阿坝藏族羌族自治州马尔康市达萨街 1 号 🏔️', postcode: '624000' } },
      materials: RECORD.materials.map((material) => ({ ...material, verdict: 'DEFICIENT', opinion: '复印件不清晰，请重新提供加盖公章的复印件。'.repeat(20) })),
    };
    expect(decodeCaseRecord(encodeCaseRecord(unusual))).toEqual(unusual);
  });

  it('tells an archived case\'s stub from a record, whatever the record holds', () => {
    const stub: CaseStub = {
      businessNo: RECORD.businessNo,
      stage: 'DELIVERED',
      scope: RECORD.scope,
      itemCode: RECORD.itemCode,
      itemName: RECORD.item.name,
      jurisdictionRegion: RECORD.jurisdictionRegion,
      receivingWindowId: RECORD.receivingWindowId,
      jurisdictionWindowId: RECORD.jurisdictionWindowId,
      receivingDivisionCode: RECORD.receivingDivisionCode,
      appliedAt: RECORD.appliedAt,
      closedAt: RECORD.updatedAt,
      archivedAt: '2026-03-01T00:00:00.000Z',
      archive: { sha256: 'a'.repeat(64), size: 4321 },
    };
    const stored = encodeCaseStub(4, stub);
    expect(stored.subarray(0, 3).toString('ascii')).toBe('4:~');
    expect(decodeStoredCase(stored)).toEqual({ kind: 'STUB', version: 4, stub });
    // Records whose JSON starts the deflate stream with every kind of byte still decode as records: a record never starts with the stub's mark.
    for (const name of ['', '~', '~~~~', '\u0000', '档案'.repeat(50)]) {
      const record = { ...RECORD, item: { ...RECORD.item, name } };
      expect(decodeStoredCase(encodeCaseRecord(record))).toEqual({ kind: 'RECORD', record });
    }
  });
});
