import { createHash, createHmac } from 'node:crypto';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { failure, offlineWithNock } from '../support/client-test.kit.js';
import { fileUpload, generatedFile, readAll } from '../support/platform-files.kit.js';
import { CircuitOpenError } from '../../adapters/circuit-breaker.js';
import { PlatformBadResponseError, PlatformRejectedError, PlatformUnavailableError } from '../../adapters/platform.errors.js';
import { SichuanClient, type SichuanClientOptions } from '../../adapters/sichuan/sichuan.client.js';
import { SC_FILE_HEADER } from '../../adapters/sichuan/sichuan-files.contract.js';
import { formatWireTime, requestCanonical, responseCanonical, sm3Sign } from '../../adapters/sichuan/sichuan.signature.js';
import { caseFromWire, eventFromWire } from '../../adapters/yukuaiban/yukuaiban.mapper.js';
import { YukuaibanClient, type YukuaibanClientOptions } from '../../adapters/yukuaiban/yukuaiban.client.js';

const YKB = 'https://ykb.test';
const SC = 'https://sc.test';
const T0 = 1714527000000;

offlineWithNock();

const ykbClient = (options: Partial<YukuaibanClientOptions> = {}) =>
  new YukuaibanClient({ baseUrl: YKB, appKey: 'app', appSecret: 'secret', timeoutMs: 500, retries: 2, retryBaseMs: 1, now: () => T0, nonce: () => `nonce${Math.random().toString(36).slice(2, 12)}`, ...options });
const receipt = (sha256: string, size: number) => ({ code: '0', msg: 'success', data: { wjbh: 'YKBF1', sha256, wjdx: size, jssj: '20240501093000' } });

/** The body nock saw, as bytes (it hands binary bodies over hex-encoded). */
const bytesOf = (body: string, size: number) => (body.length === size * 2 ? Buffer.from(body, 'hex') : Buffer.from(body, 'latin1'));

describe('渝快办 uploadFile', () => {
  it('signs the declared digest in the body-hash slot of the string to sign, and streams a 5 MB Readable in 64 KiB chunks', async () => {
    const file = generatedFile(5 * 1024 * 1024, 21);
    let seen: { headers: Record<string, string>; path: string; sha256: string } | undefined;
    nock(YKB)
      .put(/\/api\/v1\/files\/.*/)
      .reply(function (path, body) {
        seen = { headers: this.req.headers as Record<string, string>, path, sha256: createHash('sha256').update(bytesOf(body as string, file.size)).digest('hex') };
        return [201, receipt(file.sha256, file.size)];
      });
    const result = await ykbClient().uploadFile(fileUpload('CY001', file));
    expect(result).toEqual({ fileId: 'YKBF1', sha256: file.sha256, size: file.size, receivedAt: '2024-05-01T01:30:00.000Z' });
    expect(seen!.path).toBe(`/api/v1/files/CY001/${file.sha256}?clmc=${encodeURIComponent('营业执照')}`);
    expect(seen!.headers['content-length']).toBe(String(file.size));
    expect(seen!.sha256).toBe(file.sha256);
    const { 'x-ykb-timestamp': timestamp, 'x-ykb-nonce': nonce } = seen!.headers;
    const expected = createHmac('sha256', 'secret').update(['PUT', seen!.path, timestamp, nonce, file.sha256].join('\n')).digest('hex');
    expect(seen!.headers['x-ykb-signature']).toBe(expected);
    expect(file.stats.largestChunk).toBe(64 * 1024);
  });

  it('retries a 503 with the stream opened afresh', async () => {
    const file = generatedFile(200_000, 22);
    nock(YKB).put(/\/api\/v1\/files\/.*/).reply(503, { code: '50300', msg: 'busy' });
    nock(YKB).put(/\/api\/v1\/files\/.*/).reply(201, receipt(file.sha256, file.size));
    await ykbClient().uploadFile(fileUpload('CY002', file));
    expect(file.stats.opened).toBe(2);
  });

  it('does not retry a digest mismatch: PlatformRejectedError 40004', async () => {
    const file = generatedFile(1000, 23);
    const scope = nock(YKB).put(/\/api\/v1\/files\/.*/).times(3).reply(400, { code: '40004', msg: '文件摘要不符' });
    const error = await failure(ykbClient().uploadFile(fileUpload('CY003', file)));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect((error as PlatformRejectedError).platformCode).toBe('40004');
    expect(file.stats.opened).toBe(1);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('refuses a bad digest or file type before any call', async () => {
    const file = generatedFile(1000, 24);
    expect(await failure(ykbClient().uploadFile(fileUpload('CY004', file, { sha256: 'ABC' })))).toMatchObject({ code: 'INPUT.INVALID_FILE_DIGEST' });
    expect(await failure(ykbClient().uploadFile(fileUpload('CY004', file, { contentType: 'text/html' })))).toMatchObject({ code: 'FILE.TYPE_NOT_ALLOWED' });
  });
});

describe('渝快办 downloadFile', () => {
  it('streams the bytes and errors at the end when they do not hash to the announced digest', async () => {
    const bytes = Buffer.from('%PDF-1.7 not the announced bytes');
    const announced = createHash('sha256').update('other').digest('hex');
    nock(YKB).get('/api/v1/files/YKBF1').reply(200, bytes, { 'content-type': 'application/pdf', 'content-length': String(bytes.length), 'x-ykb-file-sha256': announced });
    const file = await ykbClient().downloadFile('YKBF1');
    expect(file).toMatchObject({ size: bytes.length, sha256: announced, contentType: 'application/pdf' });
    expect(await failure(readAll(file.body))).toBeInstanceOf(PlatformBadResponseError);
  });
});

describe('渝快办 certificate wire', () => {
  const wireCase = { bjbh: 'YKB1', ywbh: 'CY1', sxbm: '500000-00018', zt: '07' as const, jdjg: '1' as const, byslyy: [], gxsj: '20240503100000', lsjl: [{ zt: '07' as const, sj: '20240503100000' }] };
  const dzzz = { wjbh: 'YKBF9', zzbh: 'YKBZZ2024X000001', czr: '张三', sxmc: '律师事务所设立许可', fzjg: '重庆市司法局', yxqq: '20240503', yxqz: null, yzm: 'abcdefghijklmnopqrst', fzsj: '20240503100000', zxsj: null, zxyy: null };

  it('maps 电子证照 to the port, 长期有效 as null', () => {
    expect(caseFromWire({ ...wireCase, dzzz }).certificate).toEqual({
      fileId: 'YKBF9', number: 'YKBZZ2024X000001', holderName: '张三', itemName: '律师事务所设立许可', department: '重庆市司法局',
      validFrom: '2024-05-03', validUntil: null, verificationCode: 'abcdefghijklmnopqrst', issuedAt: '2024-05-03T02:00:00.000Z', revokedAt: null, revocationReason: null,
    });
    expect(caseFromWire(wireCase).certificate).toBeNull();
  });

  it('maps a revocation push', () => {
    const event = eventFromWire({ tsbh: 'E1', bjbh: 'YKB1', ywbh: 'CY1', sxbm: '500000-00018', zt: '07', jdjg: '1', byslyy: [], bgsj: '20240601080000', zzzx: { yzm: dzzz.yzm, zxsj: '20240601080000', zxyy: '信息有误' } });
    expect(event.certificateRevoked).toEqual({ verificationCode: dzzz.yzm, revokedAt: '2024-06-01T00:00:00.000Z', reason: '信息有误' });
  });
});

const scClient = (options: Partial<SichuanClientOptions> = {}) =>
  new SichuanClient({ baseUrl: SC, appId: 'app', appSecret: 'secret', timeoutMs: 500, retries: 2, retryBaseMs: 1, now: () => T0, ...options });
const signedReply = (nonce: string, rtnCode: string, body: unknown) => {
  const head = { rtnCode, rtnMsg: rtnCode === '000000' ? '成功' : '文件摘要不符', responseTime: formatWireTime(T0), nonce, signType: 'SM3' };
  const bodyText = JSON.stringify(body);
  return { head: { ...head, sign: sm3Sign('secret', responseCanonical(head, bodyText)) }, body: bodyText };
};

describe('四川一体化 uploadFile', () => {
  it('signs the descriptor, digest included, in the body place; a 503 is retried with the stream reopened', async () => {
    const file = generatedFile(300_000, 31);
    const heads: Record<string, string>[] = [];
    nock(SC).post('/gateway/file/upload').reply(503, { error: 'busy' });
    nock(SC)
      .post('/gateway/file/upload')
      .reply(function () {
        const headers = this.req.headers as Record<string, string>;
        heads.push(headers);
        return [200, signedReply(headers[SC_FILE_HEADER.nonce]!, '000000', { fileId: 'SCF1', sha256: file.sha256, size: file.size, receiveTime: '2024-05-01 09:30:00', duplicated: false })];
      });
    const result = await scClient().uploadFile(fileUpload('BN1', file));
    expect(result).toEqual({ fileId: 'SCF1', sha256: file.sha256, size: file.size, receivedAt: '2024-05-01T01:30:00.000Z' });
    expect(file.stats.opened).toBe(2);
    const headers = heads[0]!;
    const descriptorText = Buffer.from(headers[SC_FILE_HEADER.fileInfo]!, 'base64').toString('utf8');
    expect(JSON.parse(descriptorText)).toEqual({ businessNo: 'BN1', materialName: '营业执照', sha256: file.sha256, size: file.size, contentType: 'application/pdf' });
    const canonical = requestCanonical({ appId: 'app', nonce: headers[SC_FILE_HEADER.nonce]!, requestTime: headers[SC_FILE_HEADER.requestTime]! }, descriptorText);
    expect(headers[SC_FILE_HEADER.sign]).toBe(sm3Sign('secret', canonical));
  });

  it('does not retry a digest mismatch: PlatformRejectedError 400001', async () => {
    const file = generatedFile(1000, 32);
    let calls = 0;
    nock(SC)
      .post('/gateway/file/upload')
      .times(3)
      .reply(function () {
        calls += 1;
        return [200, signedReply((this.req.headers as Record<string, string>)[SC_FILE_HEADER.nonce]!, '400001', {})];
      });
    const error = await failure(scClient().uploadFile(fileUpload('BN2', file)));
    expect((error as PlatformRejectedError).platformCode).toBe('400001');
    expect([calls, file.stats.opened]).toEqual([1, 1]);
  });
});

/**
 * A hall's link that fails every upload must not cut the catalog off (reads refused 熔断中 while
 * the scans wait), nor an API outage stop the files that still go through: each client keeps a
 * breaker for its file transfers apart from the one for its API calls.
 */
describe('file transfers and API calls open breakers of their own', () => {
  const BREAKER = { failureThreshold: 2, resetAfterMs: 60_000, now: () => T0 };
  const refusedByBreaker = (error: unknown) => error instanceof PlatformUnavailableError && error.cause instanceof CircuitOpenError;
  const CATALOG = { offset: 0, limit: 0 };

  interface RegionFaults {
    client: () => ReturnType<typeof ykbClient> | ReturnType<typeof scClient>;
    failUploads: () => nock.Scope;
    failReads: () => nock.Scope;
    answerCatalog: () => nock.Scope;
    acceptUpload: (file: ReturnType<typeof generatedFile>) => { scope: nock.Scope; fileId: string };
    businessNos: [string, string];
  }
  const REGIONS: [string, RegionFaults][] = [
    [
      '渝快办',
      {
        client: () => ykbClient({ retries: 0, circuitBreaker: BREAKER }),
        failUploads: () => nock(YKB).put(/\/api\/v1\/files\/.*/).times(3).reply(503, { code: '50300', msg: 'busy' }),
        failReads: () => nock(YKB).get(/\/api\/v1\/items/).times(3).reply(503, { code: '50300', msg: 'busy' }),
        answerCatalog: () => nock(YKB).get(/\/api\/v1\/items/).reply(200, { code: '0', msg: 'success', data: { list: [], total: 7, page: 1, size: 1 } }),
        acceptUpload: (file) => ({ scope: nock(YKB).put(/\/api\/v1\/files\/.*/).reply(201, receipt(file.sha256, file.size)), fileId: 'YKBF1' }),
        businessNos: ['CY010', 'CY011'],
      },
    ],
    [
      '四川一体化',
      {
        client: () => scClient({ retries: 0, circuitBreaker: BREAKER }),
        failUploads: () => nock(SC).post('/gateway/file/upload').times(3).reply(503, { error: 'busy' }),
        failReads: () => nock(SC).post('/gateway/item/query').times(3).reply(503, 'upstream trouble'),
        answerCatalog: () =>
          nock(SC)
            .post('/gateway/item/query')
            .reply(200, (_uri, request) => signedReply((request as { head: { nonce: string } }).head.nonce, '000000', { totalCount: 7, pageNo: 1, pageSize: 1, itemList: [] })),
        acceptUpload: (file) => ({
          scope: nock(SC)
            .post('/gateway/file/upload')
            .reply(function () {
              const nonce = (this.req.headers as Record<string, string>)[SC_FILE_HEADER.nonce]!;
              return [200, signedReply(nonce, '000000', { fileId: 'SCF9', sha256: file.sha256, size: file.size, receiveTime: '2024-05-01 09:30:00', duplicated: false })];
            }),
          fileId: 'SCF9',
        }),
        businessNos: ['BN10', 'BN11'],
      },
    ],
  ];

  describe.each(REGIONS)('%s', (_region, faults) => {
    it('uploads failing twice open the file breaker; the catalog is still read, and the next upload is refused without a call', async () => {
      const c = faults.client();
      const file = generatedFile(1000, 41);
      const uploads = faults.failUploads();
      for (let i = 0; i < 2; i++) expect(await failure(c.uploadFile(fileUpload(faults.businessNos[0], file)))).toBeInstanceOf(PlatformUnavailableError);
      expect([c.fileCircuitState, c.circuitState]).toEqual(['OPEN', 'CLOSED']);
      expect(refusedByBreaker(await failure(c.uploadFile(fileUpload(faults.businessNos[0], file))))).toBe(true);
      expect(uploads.pendingMocks()).toHaveLength(1);
      const catalog = faults.answerCatalog();
      await expect(c.searchItems(CATALOG)).resolves.toEqual({ items: [], total: 7 });
      expect(catalog.isDone()).toBe(true);
    });

    it('API calls failing twice open the API breaker; uploads still go through, and the next read is refused without a call', async () => {
      const c = faults.client();
      const reads = faults.failReads();
      for (let i = 0; i < 2; i++) expect(await failure(c.searchItems(CATALOG))).toBeInstanceOf(PlatformUnavailableError);
      expect([c.circuitState, c.fileCircuitState]).toEqual(['OPEN', 'CLOSED']);
      expect(refusedByBreaker(await failure(c.searchItems(CATALOG)))).toBe(true);
      expect(reads.pendingMocks()).toHaveLength(1);
      const file = generatedFile(1000, 42);
      const upload = faults.acceptUpload(file);
      await expect(c.uploadFile(fileUpload(faults.businessNos[1], file))).resolves.toMatchObject({ fileId: upload.fileId, sha256: file.sha256 });
      expect(upload.scope.isDone()).toBe(true);
    });
  });
});
