import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCourierNonce, signedCourierHeaders } from '../../adapters/courier/courier.signature.js';
import { formatWireTime, requestCanonical, sm3Sign } from '../../adapters/sichuan/sichuan.signature.js';
import { newYukuaibanNonce, signedYukuaibanHeaders } from '../../adapters/yukuaiban/yukuaiban.signature.js';
import { COURIER_WEBHOOK_PATH } from '../../subgraphs/courier/server.js';
import { YUKUAIBAN_WEBHOOK_PATH } from '../../subgraphs/chongqing/server.js';
import { SICHUAN_WEBHOOK_PATH } from '../../subgraphs/sichuan/server.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Every webhook checks who sends it the same way (issue #18 item 9): a push signed
 * with the right secret but naming another app or partner is refused with
 * WEBHOOK.UNKNOWN_SENDER before its nonce is claimed, so the same nonce still
 * passes under the configured identity.
 */
describe('webhook sender identity', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ workers: false, webhooks: false });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const post = async (url: string, headers: Record<string, string>, body: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, code: ((await response.json()) as { code: string }).code };
  };

  it('渝快办: X-Ykb-AppKey must name the configured app', async () => {
    const { appKey, appSecret } = stack.config.platforms.yukuaiban;
    const body = JSON.stringify({ tsbh: 'YKBE-ID-1', bjbh: 'YKB20240501000001', ywbh: 'TB2025112450000000001', sxbm: '500000-00018', zt: '04', jdjg: '1', byslyy: [], bgsj: '20240503100000' });
    const nonce = newYukuaibanNonce();
    const send = (key: string) =>
      post(`${stack.subgraphs.chongqing.url}${YUKUAIBAN_WEBHOOK_PATH}`, signedYukuaibanHeaders({ appKey: key, secret: appSecret, method: 'POST', pathWithQuery: YUKUAIBAN_WEBHOOK_PATH, body, now: Date.now(), nonce }), body);
    expect(await send('another-app')).toEqual({ status: 401, code: 'WEBHOOK.UNKNOWN_SENDER' });
    expect(await send(appKey)).toEqual({ status: 200, code: 'OK' });
  });

  it('四川一体化: head.appId must name the configured app, although the signature covers it', async () => {
    const { appId, appSecret } = stack.config.platforms.sichuan;
    const body = JSON.stringify({ eventId: 'e-id-1', caseId: 'SC-NONE', businessNo: 'TB2025112450000000001', itemCode: '510000-00001', status: 'SL', statusTime: formatWireTime(Date.now()), reasonList: [], decisionResult: null });
    const nonce = 'identitynonce000000000001';
    const send = (id: string) => {
      const head = { appId: id, requestTime: formatWireTime(Date.now()), nonce, signType: 'SM3' };
      return post(`${stack.subgraphs.sichuan.url}${SICHUAN_WEBHOOK_PATH}`, {}, JSON.stringify({ head: { ...head, sign: sm3Sign(appSecret, requestCanonical(head, body)) }, body }));
    };
    expect(await send('another-app')).toEqual({ status: 401, code: 'WEBHOOK.UNKNOWN_SENDER' });
    expect(await send(appId)).toEqual({ status: 200, code: 'OK' });
  });

  it('政务专递: X-Courier-Partner must name the configured partner', async () => {
    const { partnerId, secret } = stack.config.platforms.courier;
    const body = JSON.stringify({ pushId: 'P-ID-1', waybillNo: '1123000000001', businessNo: 'TB2025112450000000001', seq: 2, stateCode: '10', time: '2024-05-01 14:05:12', place: '四川省（510100）揽投部' });
    const nonce = newCourierNonce();
    const send = (partner: string) =>
      post(`${stack.subgraphs.courier.url}${COURIER_WEBHOOK_PATH}`, signedCourierHeaders({ partnerId: partner, secret, body, now: Date.now(), nonce }), body);
    expect(await send('another-partner')).toEqual({ status: 401, code: 'WEBHOOK.UNKNOWN_SENDER' });
    expect(await send(partnerId)).toEqual({ status: 200, code: 'OK' });
  });
});
