import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GatewayKey } from '../../lib/auth/gateway-signature.js';

/**
 * A browser cannot send a bearer header when it opens a page, and a notice
 * prints the applicant unmasked (seed 002 第九条(二)). So whoever may print a
 * notice asks for a link to it (Notice.printUrl): it opens that one notice,
 * for a few minutes, and each opening is audited as a print by the one who
 * asked. No token ever appears in a URL.
 */
export const NOTICE_LINK_TTL_MS = 5 * 60_000;

/**
 * Keyed by the gateway signing keys (rotated with them, no further secret to
 * deploy), but under a key derived for this use only, so a link's MAC can never
 * pass as a gateway signature or the other way round.
 */
function linkSecret(key: GatewayKey): Buffer {
  return createHmac('sha256', key.secret).update('tongban notice link v1').digest();
}

function mac(key: GatewayKey, path: string, actor: string, until: number): string {
  return createHmac('sha256', linkSecret(key)).update(`${path}\n${actor}\n${until}`).digest('base64url');
}

export interface NoticeLinks {
  /** The path with the link's query string, valid NOTICE_LINK_TTL_MS from `now`. */
  sign(path: string, actor: string, now: Date): string;
  /** The actor the link was issued to, or null when it is forged, altered, for another path or expired. */
  verify(path: string, search: string, now: Date): string | null;
}

/** The first key signs; every listed key verifies. */
export function noticeLinks(keys: readonly GatewayKey[]): NoticeLinks {
  return {
    sign(path, actor, now) {
      const key = keys[0]!;
      const until = now.getTime() + NOTICE_LINK_TTL_MS;
      const query = new URLSearchParams({ by: actor, until: String(until), kid: key.id, sig: mac(key, path, actor, until) });
      return `${path}?${query}`;
    },
    verify(path, search, now) {
      const query = new URLSearchParams(search);
      const [actor, until, kid, sig] = ['by', 'until', 'kid', 'sig'].map((name) => query.get(name));
      const key = keys.find((k) => k.id === kid);
      if (!actor || !until || !/^\d{1,16}$/.test(until) || !key || !sig) return null;
      const expected = Buffer.from(mac(key, path, actor, Number(until)));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return Number(until) >= now.getTime() ? actor : null;
    },
  };
}
