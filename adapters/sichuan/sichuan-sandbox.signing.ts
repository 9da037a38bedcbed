/**
 * The 四川 sandbox's side of the envelope signature (sichuan.signature.ts): every request's
 * head is checked — appId, HMAC-SM3 sign, requestTime window, nonce — before its body is
 * answered; answers are signed (the refusals of an unknown app or a bad signature are not,
 * as the contract says); and the webhooks it sends carry a signed head of their own.
 */
import { createNonceMemory } from '../sandbox.kit.js';
import { RTN, RTN_MESSAGES, TIME_TOLERANCE_MS, requestEnvelopeSchema, type RequestEnvelope, type SichuanEndpoint, type WireCaseEvent } from './sichuan.contract.js';
import { SC_FILE_HEADER, toBase64 } from './sichuan-files.contract.js';
import { SIGN_TYPE, formatWireTime, newNonce, parseWireTime, requestCanonical, responseCanonical, signatureMatches, sm3Sign } from './sichuan.signature.js';
import { issues, type Answer } from './sichuan-sandbox.state.js';

export interface SichuanSigningOptions {
  appId: string;
  appSecret: string;
  now: () => number;
}

export function sichuanEnvelopes(opts: SichuanSigningOptions) {
  const { now } = opts;
  /** Remembers a nonce for as long as its request could still pass the time check. */
  const nonces = createNonceMemory(2 * TIME_TOLERANCE_MS);

  function envelope(answer: Answer, nonce: string, signed: boolean): string {
    // '&' is reserved by the canonical string; the message is for people, so a look-alike will do.
    const rtnMsg = (answer.rtnMsg ?? RTN_MESSAGES[answer.rtnCode]).replaceAll('&', '＆');
    const body = JSON.stringify(answer.body ?? {});
    const head = { rtnCode: answer.rtnCode, rtnMsg, responseTime: formatWireTime(now()), nonce, signType: SIGN_TYPE };
    const sign = signed ? sm3Sign(opts.appSecret, responseCanonical(head, body)) : '';
    return JSON.stringify({ head: { ...head, sign }, body });
  }

  /** A refusal of the head (unsigned until the caller is known), or null with its nonce claimed. */
  function refusal(head: RequestEnvelope['head'], bodyText: string): string | null {
    if (head.appId !== opts.appId) return envelope({ rtnCode: RTN.UNKNOWN_APP }, head.nonce, false);
    if (!signatureMatches(opts.appSecret, requestCanonical(head, bodyText), head.sign)) return envelope({ rtnCode: RTN.BAD_SIGNATURE }, head.nonce, false);
    if (Math.abs(now() - parseWireTime(head.requestTime)!) > TIME_TOLERANCE_MS) return envelope({ rtnCode: RTN.STALE_REQUEST }, head.nonce, true);
    if (!nonces.claim(head.nonce, now())) return envelope({ rtnCode: RTN.REPLAYED_NONCE }, head.nonce, true);
    return null;
  }

  /** A request envelope verified and its body parsed, or the envelope refusing it. */
  function verify(raw: string): { refused: string } | { nonce: string; body: unknown } {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { refused: envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: '参数错误: 报文不是合法 JSON' }, '', false) };
    }
    const parsed = requestEnvelopeSchema.safeParse(json);
    if (!parsed.success) return { refused: envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: `参数错误: 报文头 ${issues(parsed.error)}` }, '', false) };
    const { head, body } = parsed.data;
    const refused = refusal(head, body);
    if (refused !== null) return { refused };
    try {
      return { nonce: head.nonce, body: JSON.parse(body) };
    } catch {
      return { refused: envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: '参数错误: body 不是合法 JSON' }, head.nonce, true) };
    }
  }

  return {
    envelope,
    refusal,
    verify,
    /** The envelope answering one request: its head verified, then its body handed to `answer`. */
    answerRequest(endpoint: SichuanEndpoint, raw: string, answer: (endpoint: SichuanEndpoint, body: unknown) => Answer): string {
      const verified = verify(raw);
      if ('refused' in verified) return verified.refused;
      let answered: Answer;
      try {
        answered = answer(endpoint, verified.body);
      } catch (error) {
        answered = { rtnCode: RTN.SYSTEM_ERROR, rtnMsg: `系统异常: ${error instanceof Error ? error.message : String(error)}` };
      }
      return envelope(answered, verified.nonce, true);
    },
    /** The signed head of a download's answer, over the file's descriptor, as headers. */
    signedFileHeaders(descriptorText: string, nonce: string): Record<string, string> {
      const head = { nonce, responseTime: formatWireTime(now()), rtnCode: RTN.OK, rtnMsg: '' };
      return {
        [SC_FILE_HEADER.nonce]: nonce,
        [SC_FILE_HEADER.responseTime]: head.responseTime,
        [SC_FILE_HEADER.rtnCode]: head.rtnCode,
        [SC_FILE_HEADER.signType]: SIGN_TYPE,
        [SC_FILE_HEADER.sign]: sm3Sign(opts.appSecret, responseCanonical(head, descriptorText)),
        [SC_FILE_HEADER.fileInfo]: toBase64(descriptorText),
      };
    },
    /** A webhook's request envelope, signed now with a fresh nonce: receivers deduplicate by eventId. */
    signedWebhook(event: WireCaseEvent): string {
      const body = JSON.stringify(event);
      const nonce = newNonce();
      const requestTime = formatWireTime(now());
      const sign = sm3Sign(opts.appSecret, requestCanonical({ appId: opts.appId, nonce, requestTime }, body));
      return JSON.stringify({ head: { appId: opts.appId, requestTime, nonce, signType: SIGN_TYPE, sign }, body });
    },
  };
}
