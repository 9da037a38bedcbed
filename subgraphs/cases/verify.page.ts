import {
  certificateStatus,
  MalformedVerificationCodeError,
  parseVerificationCode,
  renderVerifyPage,
  VERIFY_PAGE_CSP,
  type VerificationAnswer,
  type VerificationCode,
} from '../../domain/certificates/index.js';
import { headerValue, json, type HttpResponse, type Route } from '../../lib/http-server.js';
import type { CertificateStore } from '../../ledger/certificates/certificate.store.js';

export const VERIFY_PATH_PREFIX = '/verify/';

/** Nothing is cached, nothing is framed, no referrer carries the code on. */
const PRIVATE_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', vary: 'accept' };
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The public 电子证照 check a QR code points to: HTML for a phone's browser,
 * JSON for `Accept: application/json`. Only the gateway calls it (it spends the
 * caller's budget there first); a code that cannot be one is refused before
 * Redis is asked.
 */
export function verifyRoute(deps: { certificates: CertificateStore; now: () => Date }): Route {
  return {
    method: 'GET',
    path: `${VERIFY_PATH_PREFIX}*`,
    handler: async (request) => {
      const wantsJson = /\bapplication\/json\b/i.test(headerValue(request.headers.accept) ?? '');
      let code: VerificationCode;
      try {
        code = parseVerificationCode(decodeURIComponent(request.path.slice(VERIFY_PATH_PREFIX.length)));
      } catch (error) {
        if (!(error instanceof MalformedVerificationCodeError || error instanceof URIError)) throw error;
        const refusal = new MalformedVerificationCodeError({ cause: error });
        return wantsJson ? json(400, { error: { code: refusal.code, message: refusal.message } }, { ...PRIVATE_HEADERS, 'content-security-policy': JSON_CSP }) : page(400, { status: 'MALFORMED' });
      }
      const entry = await deps.certificates.lookup(code);
      const answer: VerificationAnswer = entry
        ? { status: certificateStatus(entry, deps.now()), number: entry.number, itemName: entry.itemName, holder: entry.holder }
        : { status: 'UNKNOWN', number: null, itemName: null, holder: null };
      const status = entry ? 200 : 404;
      return wantsJson ? json(status, answer, { ...PRIVATE_HEADERS, 'content-security-policy': JSON_CSP }) : page(status, answer);
    },
  };
}

function page(status: number, answer: Parameters<typeof renderVerifyPage>[0]): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': VERIFY_PAGE_CSP, ...PRIVATE_HEADERS },
    body: renderVerifyPage(answer),
  };
}
