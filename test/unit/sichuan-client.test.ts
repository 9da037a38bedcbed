import { createHash, createHmac } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../domain/errors.js';
import {
  PlatformBadResponseError,
  PlatformRejectedError,
  PlatformUnavailableError,
  WebhookRejectedError,
} from '../../adapters/platform.errors.js';
import type { InboundWebhook, NonceStore, SubmitCaseRequest } from '../../adapters/platform.port.js';
import { SichuanClient, verifySichuanWebhook, type SichuanClientOptions } from '../../adapters/sichuan/sichuan.client.js';
import type { RequestEnvelope, WireCase, WireCaseEvent, WireItem } from '../../adapters/sichuan/sichuan.contract.js';
import {
  formatWireTime,
  parseWireTime,
  requestCanonical,
  responseCanonical,
  signatureMatches,
  sm3Sign,
} from '../../adapters/sichuan/sichuan.signature.js';

const BASE = 'http://sichuan.test';
const APP_ID = 'tongban-dev';
const SECRET = 'tongban-test-secret-0001';
const NOW = Date.parse('2024-05-20T01:30:00Z');

function client(overrides: Partial<SichuanClientOptions> = {}): SichuanClient {
  return new SichuanClient({ baseUrl: BASE, appId: APP_ID, appSecret: SECRET, timeoutMs: 500, retries: 2, retryBaseMs: 1, ...overrides });
}

interface AnswerOptions {
  secret?: string;
  nonce?: string;
  rtnMsg?: string;
  sign?: string;
}

/** A response envelope as the platform would sign it for `request`. */
function answer(request: RequestEnvelope, rtnCode: string, body: unknown = {}, options: AnswerOptions = {}) {
  const bodyText = JSON.stringify(body);
  const head = {
    rtnCode,
    rtnMsg: options.rtnMsg ?? (rtnCode === '000000' ? '成功' : '失败'),
    responseTime: '2024-05-20 09:30:01',
    nonce: options.nonce ?? request.head.nonce,
    signType: 'SM3',
  };
  return { head: { ...head, sign: options.sign ?? sm3Sign(options.secret ?? SECRET, responseCanonical(head, bodyText)) }, body: bodyText };
}

interface Calls {
  count: number;
  requests: RequestEnvelope[];
}

/** Intercepts `times` POSTs to `path`; `respond` sees the request envelope and its parsed body. */
function platform(
  path: string,
  respond: (request: RequestEnvelope, body: any) => ReturnType<typeof answer> | string,
  times = 1,
): Calls {
  const calls: Calls = { count: 0, requests: [] };
  nock(BASE)
    .post(path)
    .times(times)
    .reply(200, (_uri, requestBody) => {
      const request = requestBody as RequestEnvelope;
      calls.count += 1;
      calls.requests.push(request);
      return respond(request, JSON.parse(request.body));
    });
  return calls;
}

function failing(path: string, status: number, times = 1, headers: Record<string, string> = {}): Calls {
  const calls: Calls = { count: 0, requests: [] };
  nock(BASE)
    .post(path)
    .times(times)
    .reply(() => {
      calls.count += 1;
      return [status, 'upstream trouble', headers];
    });
  return calls;
}

function wireItem(code: string, overrides: Partial<WireItem> = {}): WireItem {
  return {
    itemCode: code,
    itemName: `事项 ${code}`,
    legalItemName: `法定事项 ${code}`,
    deptName: '阿坝州教育局',
    areaCode: code.slice(0, 6),
    powerType: '行政许可',
    anticipateDay: 20,
    promiseDay: 10,
    materialList: [
      { materialName: '申请人居民身份证', materialForm: '3', pageNum: 1, isRequired: '1' },
      { materialName: '申请表', materialForm: '1', pageNum: 2, isRequired: '1' },
      { materialName: '照片', materialForm: '4', pageNum: 0, isRequired: '0' },
    ],
    tbTypeList: ['CYTB', 'SNTB'],
    isSample: '1',
    ...overrides,
  };
}

function wireCase(caseId: string, overrides: Partial<WireCase> = {}): WireCase {
  return {
    caseId,
    businessNo: `BN-${caseId}`,
    itemCode: '513200-00003',
    status: 'SH',
    decisionResult: null,
    reasonList: [],
    updateTime: '2024-05-21 10:00:00',
    processList: [
      { status: 'SB', statusTime: '2024-05-20 09:30:00', remark: '申报' },
      { status: 'SL', statusTime: '2024-05-20 15:00:00' },
      { status: 'SH', statusTime: '2024-05-21 10:00:00', remark: '审核' },
    ],
    ...overrides,
  };
}

const SUBMISSION: SubmitCaseRequest = {
  idempotencyKey: 'transfer:CY202405200001',
  businessNo: 'CY202405200001',
  itemCode: '510000-00001',
  applicant: { kind: 'ORGANISATION', name: '重庆某水利检测有限公司', idNumber: '91500000MA5U000000' },
  contact: { name: '张三', phone: '13800000000' },
  receivingWindowId: 'cq-500000-01',
  receivingDivisionCode: '500000',
  materials: [
    { name: '水利工程质量检测单位乙级资质认定申请书', form: 'ORIGINAL', copies: 1 },
    { name: '计量认证资质证书', form: 'ELECTRONIC', copies: 1, fileIds: ['SCF-0001'] },
  ],
  submittedAt: '2024-05-20T01:30:00Z',
};

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('HMAC-SM3 signature', () => {
  it('uses real SM3 (GB/T 32905-2016 example 1: "abc")', () => {
    expect(createHash('sm3').update('abc').digest('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  it('builds the documented canonical string and signs it to the documented value', () => {
    const canonical = requestCanonical(
      { appId: 'tongban-dev', nonce: '0123456789abcdef0123456789abcdef', requestTime: '2024-05-20 09:30:00' },
      '{"itemCodes":["513200-00003"]}',
    );
    expect(canonical).toBe(
      'appId=tongban-dev&nonce=0123456789abcdef0123456789abcdef&requestTime=2024-05-20 09:30:00&signType=SM3&body={"itemCodes":["513200-00003"]}',
    );
    const expected = '386ab374647145c1a63782697009606a2aa1e1a2a81289be0d81df9c90fc767a';
    expect(sm3Sign(SECRET, canonical)).toBe(expected);

    // RFC 2104 by hand over the bare SM3 hash: independent of createHmac.
    const block = Buffer.alloc(64);
    Buffer.from(SECRET, 'utf8').copy(block);
    const xor = (pad: number) => Buffer.from(block.map((b) => b ^ pad));
    const inner = createHash('sm3').update(xor(0x36)).update(canonical, 'utf8').digest();
    expect(createHash('sm3').update(xor(0x5c)).update(inner).digest('hex')).toBe(expected);
    expect(createHmac('sm3', SECRET).update(canonical).digest('hex')).toBe(expected);
  });

  it('signs responses over the documented canonical string', () => {
    const head = { nonce: '0123456789abcdef0123456789abcdef', responseTime: '2024-05-20 09:30:01', rtnCode: '000000', rtnMsg: '成功' };
    expect(sm3Sign(SECRET, responseCanonical(head, '{"itemList":[]}'))).toBe(
      'd5deebc49e3247bbbeaddd5e76ca1b4b403271a697a2000de710f8cabc3f92eb',
    );
  });

  it('accepts only the exact lower-case signature', () => {
    const canonical = 'appId=a&nonce=b&requestTime=c&signType=SM3&body={}';
    const sign = sm3Sign(SECRET, canonical);
    expect(signatureMatches(SECRET, canonical, sign)).toBe(true);
    expect(signatureMatches(SECRET, canonical, sign.toUpperCase())).toBe(false);
    expect(signatureMatches(SECRET, canonical, sign.slice(0, 62))).toBe(false);
    expect(signatureMatches(SECRET, `${canonical} `, sign)).toBe(false);
    expect(signatureMatches('another-secret', canonical, sign)).toBe(false);
    expect(signatureMatches(SECRET, canonical, undefined)).toBe(false);
  });

  it("refuses head values containing '&', which would make the canonical string ambiguous", () => {
    expect(() => responseCanonical({ nonce: '', responseTime: 't', rtnCode: '100001', rtnMsg: 'a&b' }, '{}')).toThrow(/&/);
  });

  it('formats and parses Asia/Shanghai wire times', () => {
    expect(formatWireTime(NOW)).toBe('2024-05-20 09:30:00');
    expect(formatWireTime(Date.parse('2023-12-31T16:00:00Z'))).toBe('2024-01-01 00:00:00');
    expect(parseWireTime('2024-05-20 09:30:00')).toBe(NOW);
    expect(parseWireTime('2024-02-30 00:00:00')).toBeNull();
    expect(parseWireTime('2024-05-20T09:30:00')).toBeNull();
  });
});

describe('SichuanClient requests', () => {
  it('signs every request over the exact body text it sends', async () => {
    const calls = platform('/gateway/item/batchGet', (request) => answer(request, '000000', { itemList: [] }));
    await client({ now: () => NOW, nonce: () => 'abcdefabcdefabcdef01' }).getItemsByCodes(['513200-00003']);

    const [request] = calls.requests;
    expect(request!.head).toMatchObject({ appId: APP_ID, requestTime: '2024-05-20 09:30:00', nonce: 'abcdefabcdefabcdef01', signType: 'SM3' });
    expect(request!.body).toBe('{"itemCodes":["513200-00003"]}');
    expect(signatureMatches(SECRET, requestCanonical(request!.head, request!.body), request!.head.sign)).toBe(true);
  });

  it('signs each attempt afresh: a retried read never reuses a nonce', async () => {
    const first: RequestEnvelope[] = [];
    nock(BASE)
      .post('/gateway/case/batchGet')
      .reply(503, (_uri, requestBody) => {
        first.push(requestBody as RequestEnvelope);
        return 'busy';
      });
    const retry = platform('/gateway/case/batchGet', (request) => answer(request, '000000', { caseList: [] }));
    await client().getCasesByIds(['SC1']);

    const attempts = [first[0]!, retry.requests[0]!];
    expect(attempts[0]!.head.nonce).not.toBe(attempts[1]!.head.nonce);
    expect(attempts[0]!.body).toBe(attempts[1]!.body);
    for (const request of attempts) {
      expect(signatureMatches(SECRET, requestCanonical(request.head, request.body), request.head.sign)).toBe(true);
    }
  });

  it('maps items to the port model, null where unknown, and never asks for other regions’ codes', async () => {
    const calls = platform('/gateway/item/batchGet', (request, body) => {
      expect(body.itemCodes).toEqual(['513200-00003', '510000-00001']);
      return answer(request, '000000', { itemList: [wireItem('510000-00001')] });
    });
    const result = await client().getItemsByCodes(['513200-00003', '500000-00001', '510000-00001', 'garbage', '513200-00003']);

    expect(calls.count).toBe(1);
    expect(result.map((item) => item?.code ?? null)).toEqual([null, null, '510000-00001', null, null]);
    expect(result[2]).toEqual({
      code: '510000-00001',
      region: 'SICHUAN',
      name: '事项 510000-00001',
      legalName: '法定事项 510000-00001',
      department: '阿坝州教育局',
      divisionCode: '510000',
      powerType: '行政许可',
      legalLimitDays: 20,
      promisedLimitDays: 10,
      materials: [
        { name: '申请人居民身份证', form: 'ORIGINAL_AND_COPY', copies: 1, required: true },
        { name: '申请表', form: 'ORIGINAL', copies: 2, required: true },
        { name: '照片', form: 'ELECTRONIC', copies: 0, required: false },
      ],
      scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE'],
      sampleData: true,
      status: 'AVAILABLE',
      statusRemark: null,
    });
  });

  it('maps 事项状态 and 备注: a suspended or delegated item says so', async () => {
    platform('/gateway/item/batchGet', (request) =>
      answer(request, '000000', {
        itemList: [wireItem('513200-00032', { itemState: '1', remark: '暂停' }), wireItem('513200-00013', { itemState: '2', remark: '已下放' })],
      }),
    );
    const [suspended, delegated] = await client().getItemsByCodes(['513200-00032', '513200-00013']);
    expect(suspended).toMatchObject({ status: 'SUSPENDED', statusRemark: '暂停' });
    expect(delegated).toMatchObject({ status: 'DELEGATED', statusRemark: '已下放' });
  });

  it('splits 250 codes into 3 calls of at most 100 and aligns the answers with the input', async () => {
    const codes = Array.from({ length: 250 }, (_, i) => `513200-${String(i + 1).padStart(5, '0')}`);
    const sizes: number[] = [];
    platform(
      '/gateway/item/batchGet',
      (request, body: { itemCodes: string[] }) => {
        sizes.push(body.itemCodes.length);
        // Only even serials exist, answered in reverse order to prove alignment by code.
        const found = body.itemCodes.filter((code) => Number(code.slice(-5)) % 2 === 0).reverse();
        return answer(request, '000000', { itemList: found.map((code) => wireItem(code)) });
      },
      3,
    );
    const result = await client().getItemsByCodes(codes);

    expect(sizes.sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect(result).toHaveLength(250);
    result.forEach((item, i) => expect(item?.code ?? null).toBe((i + 1) % 2 === 0 ? codes[i] : null));
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('costs no call for an empty list', async () => {
    expect(await client().getItemsByCodes([])).toEqual([]);
    expect(await client().getCasesByIds([])).toEqual([]);
  });

  it('pages by offset/limit with one call when one page can hold the window', async () => {
    const all = Array.from({ length: 37 }, (_, i) => wireItem(`513200-${String(i + 1).padStart(5, '0')}`));
    const pages: { pageNo: number; pageSize: number; keyword?: string }[] = [];
    platform(
      '/gateway/item/query',
      (request, body) => {
        pages.push(body);
        const start = (body.pageNo - 1) * body.pageSize;
        return answer(request, '000000', { totalCount: all.length, pageNo: body.pageNo, pageSize: body.pageSize, itemList: all.slice(start, start + body.pageSize) });
      },
      3,
    );
    const aligned = await client().searchItems({ search: ' 教师 ', offset: 20, limit: 10 });
    const unaligned = await client().searchItems({ offset: 5, limit: 10 });
    const tail = await client().searchItems({ offset: 30, limit: 10 });

    expect(pages).toEqual([
      { keyword: '教师', pageNo: 3, pageSize: 10 },
      { pageNo: 1, pageSize: 15 },
      { pageNo: 4, pageSize: 10 },
    ]);
    expect(aligned.items.map((i) => i.code)).toEqual(all.slice(20, 30).map((i) => i.itemCode));
    expect(unaligned.items.map((i) => i.code)).toEqual(all.slice(5, 15).map((i) => i.itemCode));
    expect(tail).toMatchObject({ total: 37 });
    expect(tail.items.map((i) => i.code)).toEqual(all.slice(30).map((i) => i.itemCode));
  });

  it('reads consecutive pages of 100 for a window larger than a page', async () => {
    const all = Array.from({ length: 180 }, (_, i) => wireItem(`513200-${String(i + 1).padStart(5, '0')}`));
    const calls = platform(
      '/gateway/item/query',
      (request, body) => {
        const start = (body.pageNo - 1) * body.pageSize;
        return answer(request, '000000', { totalCount: all.length, pageNo: body.pageNo, pageSize: body.pageSize, itemList: all.slice(start, start + body.pageSize) });
      },
      2,
    );
    const page = await client().searchItems({ offset: 10, limit: 150 });
    expect(calls.count).toBe(2);
    expect(page.items.map((i) => i.code)).toEqual(all.slice(10, 160).map((i) => i.itemCode));
  });

  it('refuses bad paging as the caller’s error, without a call', async () => {
    await expect(client().searchItems({ offset: -1, limit: 10 })).rejects.toBeInstanceOf(InputError);
    await expect(client().searchItems({ offset: 0, limit: 10, search: '长'.repeat(51) })).rejects.toBeInstanceOf(InputError);
  });

  it('maps cases: stages, decision, reasons and history; null where unknown', async () => {
    platform('/gateway/case/batchGet', (request, body) => {
      expect(body.caseIds).toEqual(['SC1', 'SC2', 'SC3']);
      return answer(request, '000000', {
        caseList: [
          wireCase('SC2', {
            status: 'BYSL',
            reasonList: ['申请材料不符合法定形式'],
            updateTime: '2024-05-20 16:00:00',
            processList: [
              { status: 'SB', statusTime: '2024-05-20 09:30:00' },
              { status: 'BYSL', statusTime: '2024-05-20 16:00:00', remark: '不予受理' },
            ],
          }),
          wireCase('SC1', { status: 'JD', decisionResult: '1', processList: [{ status: 'JD', statusTime: '2024-05-21 10:00:00' }] }),
        ],
      });
    });
    const [first, second, third, again] = await client().getCasesByIds(['SC1', 'SC2', 'SC3', 'SC1']);

    expect(first).toMatchObject({ platformCaseId: 'SC1', stage: 'DECIDED', decision: 'APPROVED', region: 'SICHUAN' });
    expect(second).toEqual({
      platformCaseId: 'SC2',
      region: 'SICHUAN',
      businessNo: 'BN-SC2',
      itemCode: '513200-00003',
      stage: 'REJECTED',
      decision: null,
      rejectReasons: ['申请材料不符合法定形式'],
      updatedAt: '2024-05-20T16:00:00+08:00',
      history: [
        { stage: 'SUBMITTED', at: '2024-05-20T09:30:00+08:00' },
        { stage: 'REJECTED', at: '2024-05-20T16:00:00+08:00', note: '不予受理' },
      ],
      certificate: null,
    });
    expect(third).toBeNull();
    expect(again).toEqual(first);
  });

  it('returns null from getCase for 200002', async () => {
    platform('/gateway/case/get', (request) => answer(request, '200002', {}, { rtnMsg: '办件不存在' }));
    expect(await client().getCase('SC404')).toBeNull();
  });

  it('submits with the idempotency key and the 四川 field names, once', async () => {
    const calls = platform('/gateway/case/submit', (request, body) =>
      answer(request, '000000', {
        case: wireCase('SC9', {
          businessNo: body.businessNo,
          itemCode: body.itemCode,
          status: 'SB',
          processList: [{ status: 'SB', statusTime: '2024-05-20 09:30:05' }],
        }),
        duplicated: false,
      }),
    );
    const record = await client().submitCase(SUBMISSION);

    expect(JSON.parse(calls.requests[0]!.body)).toEqual({
      idempotentKey: 'transfer:CY202405200001',
      businessNo: 'CY202405200001',
      itemCode: '510000-00001',
      applicantType: '2',
      applicantName: '重庆某水利检测有限公司',
      certNo: '91500000MA5U000000',
      contactName: '张三',
      contactPhone: '13800000000',
      receiveWindowId: 'cq-500000-01',
      receiveAreaCode: '500000',
      applyTime: '2024-05-20 09:30:00',
      materialList: [
        { materialName: '水利工程质量检测单位乙级资质认定申请书', materialForm: '1', pageNum: 1 },
        { materialName: '计量认证资质证书', materialForm: '4', pageNum: 1, fileIds: ['SCF-0001'] },
      ],
    });
    expect(record).toMatchObject({ platformCaseId: 'SC9', stage: 'SUBMITTED', businessNo: 'CY202405200001', history: [{ stage: 'SUBMITTED' }] });
  });

  it('refuses an incomplete submission as the caller’s error, without a call', async () => {
    await expect(client().submitCase({ ...SUBMISSION, itemCode: '5100-1' })).rejects.toMatchObject({ code: 'INPUT.INVALID_CASE_SUBMISSION' });
    await expect(client().submitCase({ ...SUBMISSION, submittedAt: 'yesterday' })).rejects.toMatchObject({ code: 'INPUT.INVALID_DATETIME' });
  });
});

describe('SichuanClient errors', () => {
  it('5xx on a read: retried, then PLATFORM.SICHUAN_UNAVAILABLE', async () => {
    const calls = failing('/gateway/item/batchGet', 503, 5);
    const error = await client({ retries: 2 }).getItemsByCodes(['513200-00001']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error).toMatchObject({ code: 'PLATFORM.SICHUAN_UNAVAILABLE', retryable: true });
    expect(calls.count).toBe(3);
  });

  it('5xx then success on a read: the retry answers', async () => {
    failing('/gateway/case/get', 500);
    platform('/gateway/case/get', (request) => answer(request, '000000', { case: wireCase('SC1') }));
    expect(await client().getCase('SC1')).toMatchObject({ platformCaseId: 'SC1', stage: 'REVIEWING' });
  });

  it('5xx on submit: not retried', async () => {
    const calls = failing('/gateway/case/submit', 503, 5);
    await expect(client({ retries: 4 }).submitCase(SUBMISSION)).rejects.toMatchObject({ code: 'PLATFORM.SICHUAN_UNAVAILABLE' });
    expect(calls.count).toBe(1);
  });

  it('business rtnCode: PLATFORM.SICHUAN_REJECTED with the code, never retried', async () => {
    const calls = platform('/gateway/case/submit', (request) => answer(request, '300001', {}, { rtnMsg: '幂等键冲突' }), 5);
    const error = await client().submitCase(SUBMISSION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.SICHUAN_REJECTED', platformCode: '300001', retryable: false });

    const reads = platform('/gateway/item/batchGet', (request) => answer(request, '100003', {}, { rtnMsg: '请求时间超出允许范围' }), 5);
    await expect(client().getItemsByCodes(['513200-00001'])).rejects.toMatchObject({ platformCode: '100003' });
    expect(calls.count).toBe(1);
    expect(reads.count).toBe(1);
  });

  it('HTTP 4xx: PLATFORM.SICHUAN_REJECTED, never retried', async () => {
    const calls = failing('/gateway/case/batchGet', 403, 5);
    await expect(client().getCasesByIds(['SC1'])).rejects.toMatchObject({ code: 'PLATFORM.SICHUAN_REJECTED', platformCode: 'HTTP_403' });
    expect(calls.count).toBe(1);
  });

  it('rtnCode 999999: unavailable, and retried like any outage', async () => {
    const calls = platform('/gateway/case/get', (request) => answer(request, '999999', {}, { rtnMsg: '系统异常' }), 3);
    await expect(client().getCase('SC1')).rejects.toMatchObject({ code: 'PLATFORM.SICHUAN_UNAVAILABLE' });
    expect(calls.count).toBe(3);
  });

  it('unsigned pre-authentication answers are rejections; any other unsigned answer is bad', async () => {
    platform('/gateway/case/get', (request) => answer(request, '100002', {}, { sign: '', nonce: '' }));
    await expect(client().getCase('SC1')).rejects.toMatchObject({ code: 'PLATFORM.SICHUAN_REJECTED', platformCode: '100002' });

    platform('/gateway/case/get', (request) => answer(request, '000000', { case: wireCase('SC1') }, { sign: '' }), 3);
    await expect(client().getCase('SC1')).rejects.toBeInstanceOf(PlatformBadResponseError);
  });

  const badResponses: [string, (request: RequestEnvelope) => ReturnType<typeof answer> | string][] = [
    ['truncated JSON', (request) => JSON.stringify(answer(request, '000000', { case: wireCase('SC1') })).slice(0, 80)],
    ['an envelope without head', (request) => JSON.stringify({ body: answer(request, '000000').body })],
    ['a body that is not JSON', (request) => ({ ...answer(request, '000000'), body: '{"case":' })],
    ['a signature made with another secret', (request) => answer(request, '000000', { case: wireCase('SC1') }, { secret: 'not-the-secret' })],
    ['a signed answer to another request', (request) => answer(request, '000000', { case: wireCase('SC1') }, { nonce: 'ffffffffffffffffffffffffffffffff' })],
    ['a body missing a field', (request) => answer(request, '000000', { case: { ...wireCase('SC1'), status: undefined } })],
    ['an unknown status code', (request) => answer(request, '000000', { case: wireCase('SC1', { status: 'XX' as 'SB' }) })],
    ['a status that contradicts processList', (request) => answer(request, '000000', { case: wireCase('SC1', { status: 'CJ' }) })],
    ['another case than asked for', (request) => answer(request, '000000', { case: wireCase('SC2') })],
  ];

  it.each(badResponses)('%s: PLATFORM.SICHUAN_BAD_RESPONSE', async (_name, respond) => {
    const calls = platform('/gateway/case/get', respond, 3);
    const error = await client().getCase('SC1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformBadResponseError);
    expect(error).toMatchObject({ code: 'PLATFORM.SICHUAN_BAD_RESPONSE' });
    expect(calls.count).toBe(3);
  });

  it.each([
    ['of a non-Sichuan division', wireItem('500000-00001')],
    ['whose code does not begin with its areaCode', wireItem('513200-00001', { areaCode: '510000' })],
    ['that was not asked for', wireItem('513200-00002')],
  ])('an item %s: bad response', async (_name, item) => {
    const calls = platform('/gateway/item/batchGet', (request) => answer(request, '000000', { itemList: [item] }), 3);
    await expect(client().getItemsByCodes(['513200-00001', '500000-00001'])).rejects.toBeInstanceOf(PlatformBadResponseError);
    expect(calls.count).toBe(3);
  });

  it('a submit answer about another business number: bad response, not retried', async () => {
    const calls = platform('/gateway/case/submit', (request) => answer(request, '000000', { case: wireCase('SC9', { itemCode: '510000-00001' }), duplicated: true }), 3);
    await expect(client().submitCase(SUBMISSION)).rejects.toBeInstanceOf(PlatformBadResponseError);
    expect(calls.count).toBe(1);
  });

  it('no answer within timeoutMs: unavailable', async () => {
    nock(BASE).post('/gateway/case/get').delay(2000).reply(200, {});
    const started = Date.now();
    const error = await client({ timeoutMs: 100, retries: 0 }).getCase('SC1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toMatch(/100 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('ends the deadline with the answer: nothing is aborted after the call returned', async () => {
    platform('/gateway/case/get', (request) => answer(request, '000000', { case: wireCase('SC1') }));
    let signal: AbortSignal | undefined;
    const fetch: typeof globalThis.fetch = (url, init) => {
      signal = init?.signal ?? undefined;
      return globalThis.fetch(url, init);
    };
    expect(await client({ timeoutMs: 40, retries: 0, fetch }).getCase('SC1')).toMatchObject({ platformCaseId: 'SC1' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(signal?.aborted).toBe(false);
  });

  it('network failure: unavailable', async () => {
    nock(BASE).post('/gateway/case/get').replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    await expect(client({ retries: 0 }).getCase('SC1')).rejects.toMatchObject({ code: 'PLATFORM.SICHUAN_UNAVAILABLE' });
  });

  it('429: waits out a short Retry-After before retrying a read', async () => {
    const limited = failing('/gateway/case/get', 429, 1, { 'Retry-After': '1' });
    platform('/gateway/case/get', (request) => answer(request, '000000', { case: wireCase('SC1') }));
    const started = Date.now();
    await client().getCase('SC1');
    expect(limited.count).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('429: a long Retry-After is handed to the caller instead of waited out', async () => {
    const calls = failing('/gateway/case/get', 429, 3, { 'Retry-After': '120' });
    const error = await client().getCase('SC1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PLATFORM.SICHUAN_UNAVAILABLE', retryAfterMs: 120_000 });
    expect(calls.count).toBe(1);

    const at = new Date(Date.now() + 60_000).toUTCString();
    failing('/gateway/case/submit', 429, 1, { 'Retry-After': at });
    const dated = await client().submitCase(SUBMISSION).catch((e: unknown) => e);
    expect((dated as PlatformUnavailableError).retryAfterMs).toBeGreaterThan(55_000);
  });
});

describe('SichuanClient circuit breaker', () => {
  it('opens after consecutive unavailability, fails fast, then lets one probe through', async () => {
    let clock = NOW;
    const c = client({ retries: 0, now: () => clock, circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000, now: () => clock } });
    const outage = failing('/gateway/case/get', 503, 2);
    await expect(c.getCase('SC1')).rejects.toBeInstanceOf(PlatformUnavailableError);
    await expect(c.getCase('SC1')).rejects.toBeInstanceOf(PlatformUnavailableError);
    expect(c.circuitState).toBe('OPEN');

    clock += 4_000;
    const fast = await c.getCase('SC1').catch((e: unknown) => e);
    expect(fast).toMatchObject({ code: 'PLATFORM.SICHUAN_UNAVAILABLE', retryAfterMs: 6_000 });
    expect(outage.count).toBe(2);

    clock += 6_000;
    expect(c.circuitState).toBe('HALF_OPEN');
    const probe = failing('/gateway/case/get', 503);
    await expect(c.getCase('SC1')).rejects.toBeInstanceOf(PlatformUnavailableError);
    expect(probe.count).toBe(1);
    expect(c.circuitState).toBe('OPEN');

    clock += 10_000;
    platform('/gateway/case/get', (request) => answer(request, '000000', { case: wireCase('SC1') }));
    await expect(c.getCase('SC1')).resolves.toMatchObject({ platformCaseId: 'SC1' });
    expect(c.circuitState).toBe('CLOSED');
  });

  it('is not opened by rejections or bad responses: the platform is up', async () => {
    const c = client({ retries: 0, circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000 } });
    platform('/gateway/case/get', (request) => answer(request, '100001'), 3);
    for (let i = 0; i < 3; i++) await expect(c.getCase('SC1')).rejects.toBeInstanceOf(PlatformRejectedError);
    platform('/gateway/case/get', () => 'garbage', 3);
    for (let i = 0; i < 3; i++) await expect(c.getCase('SC1')).rejects.toBeInstanceOf(PlatformBadResponseError);
    expect(c.circuitState).toBe('CLOSED');
  });
});

class MemoryNonceStore implements NonceStore {
  readonly claims: string[] = [];
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  async claim(nonce: string, ttlSeconds: number): Promise<boolean> {
    this.claims.push(nonce);
    const expiresAt = this.seen.get(nonce);
    if (expiresAt !== undefined && expiresAt > this.now()) return false;
    this.seen.set(nonce, this.now() + ttlSeconds * 1000);
    return true;
  }
}

describe('verifySichuanWebhook', () => {
  const event: WireCaseEvent = {
    eventId: 'EV-1',
    caseId: 'SC1',
    businessNo: 'CY202405200001',
    itemCode: '513200-00048',
    status: 'BYSL',
    statusTime: '2024-05-20 09:29:00',
    decisionResult: null,
    reasonList: ['申请材料不符合法定形式'],
  };

  function push(options: { secret?: string; requestTime?: string; nonce?: string; body?: string } = {}) {
    const body = options.body ?? JSON.stringify(event);
    const head = { appId: APP_ID, requestTime: options.requestTime ?? '2024-05-20 09:30:00', nonce: options.nonce ?? 'a1b2c3d4e5f60718293a4b5c6d7e8f90' };
    const sign = sm3Sign(options.secret ?? SECRET, requestCanonical(head, body));
    return { headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(JSON.stringify({ head: { ...head, signType: 'SM3', sign }, body })) };
  }

  const verify = (webhook: InboundWebhook, store: NonceStore) =>
    verifySichuanWebhook(webhook, { appId: APP_ID, appSecret: SECRET, nonceStore: store, now: () => NOW });

  it('accepts a valid push and returns the normalised event', async () => {
    const store = new MemoryNonceStore(() => NOW);
    expect(await verify(push(), store)).toEqual({
      eventId: 'EV-1',
      region: 'SICHUAN',
      platformCaseId: 'SC1',
      businessNo: 'CY202405200001',
      stage: 'REJECTED',
      decision: null,
      reasons: ['申请材料不符合法定形式'],
      at: '2024-05-20T09:29:00+08:00',
    });
    expect(store.claims).toEqual(['sichuan:a1b2c3d4e5f60718293a4b5c6d7e8f90']);
  });

  it('rejects a forged push before it can claim the nonce', async () => {
    const store = new MemoryNonceStore(() => NOW);
    await expect(verify(push({ secret: 'attacker-secret' }), store)).rejects.toMatchObject({ reason: 'BAD_SIGNATURE', code: 'WEBHOOK.BAD_SIGNATURE' });

    const tampered = push();
    const envelope = JSON.parse(tampered.rawBody.toString());
    envelope.body = envelope.body.replace('BYSL', 'CJ');
    await expect(verify({ ...tampered, rawBody: Buffer.from(JSON.stringify(envelope)) }, store)).rejects.toMatchObject({ reason: 'BAD_SIGNATURE' });
    expect(store.claims).toEqual([]);
  });

  it('rejects a push stamped outside ±5 minutes', async () => {
    const store = new MemoryNonceStore(() => NOW);
    await expect(verify(push({ requestTime: '2024-05-20 09:24:59' }), store)).rejects.toMatchObject({ reason: 'STALE_TIMESTAMP' });
    await expect(verify(push({ requestTime: '2024-05-20 09:35:01' }), store)).rejects.toMatchObject({ reason: 'STALE_TIMESTAMP' });
    await expect(verify(push({ requestTime: '2024-05-20 09:25:00' }), store)).resolves.toMatchObject({ eventId: 'EV-1' });
    expect(store.claims).toHaveLength(1);
  });

  it('rejects a replayed push', async () => {
    const store = new MemoryNonceStore(() => NOW);
    const webhook = push();
    await verify(webhook, store);
    const error = await verify(webhook, store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookRejectedError);
    expect(error).toMatchObject({ reason: 'REPLAYED' });
  });

  it('rejects malformed pushes', async () => {
    const store = new MemoryNonceStore(() => NOW);
    const malformed = [
      { headers: {}, rawBody: Buffer.from('not json') },
      { headers: {}, rawBody: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]) },
      { headers: {}, rawBody: Buffer.from(JSON.stringify({ head: { appId: APP_ID }, body: '{}' })) },
      push({ body: '{"eventId":' }),
      push({ body: JSON.stringify({ ...event, status: 'DONE' }) }),
    ];
    for (const webhook of malformed) {
      await expect(verify(webhook, store)).rejects.toMatchObject({ reason: 'MALFORMED' });
    }
    expect(store.claims).toEqual([]);
  });
});
