import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { ROLES, UnauthenticatedError, type Caller } from './caller.js';

export interface TokenSettings {
  /** HS256 shared secret (local development and tests). */
  secret: string;
  /** RS256/ES256 keys of the identity provider (production); when set, HS256 tokens are refused. */
  jwksUrl: string | undefined;
  issuer: string;
  audience: string;
}

const Claims = z.object({
  sub: z.string().min(1).max(128),
  role: z.enum(ROLES),
  region: z.enum(['CHONGQING', 'SICHUAN']),
  window: z.string().min(1).max(64).nullable().optional(),
});

const CACHE_LIMIT = 10_000;

export interface TokenVerifier {
  /** The caller of an `Authorization: Bearer …` header, or AUTH.UNAUTHENTICATED. */
  verify(authorization: string | undefined): Promise<Caller>;
}

/**
 * Verifies access tokens: signature with the one expected algorithm (so `none`
 * and algorithm swaps fail), issuer, audience, expiry, and the tongban claims.
 * Verified tokens are remembered until they expire, because the gateway and
 * every subgraph verify the same token once per request.
 */
export function createTokenVerifier(settings: TokenSettings): TokenVerifier {
  const key: Uint8Array | JWTVerifyGetKey = settings.jwksUrl
    ? createRemoteJWKSet(new URL(settings.jwksUrl))
    : new TextEncoder().encode(settings.secret);
  const algorithms = settings.jwksUrl ? ['RS256', 'ES256'] : ['HS256'];
  const cache = new Map<string, { caller: Caller; expiresAt: number }>();

  return {
    async verify(authorization) {
      const token = bearerToken(authorization);
      if (!token) throw new UnauthenticatedError('缺少访问令牌');
      const cached = cache.get(token);
      if (cached && cached.expiresAt > Date.now()) return cached.caller;

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as Uint8Array, {
          algorithms,
          issuer: settings.issuer,
          audience: settings.audience,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: 5,
        }));
      } catch (error) {
        throw new UnauthenticatedError('访问令牌无效或已过期', { cause: error });
      }
      const claims = Claims.safeParse(payload);
      if (!claims.success) throw new UnauthenticatedError('访问令牌缺少必要的身份信息');
      const caller: Caller = {
        subject: claims.data.sub,
        role: claims.data.role,
        region: claims.data.region,
        windowId: claims.data.window ?? null,
      };
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(token, { caller, expiresAt: (payload.exp ?? 0) * 1000 });
      return caller;
    },
  };
}

/** The verifier a service starts with; production's opt-out of the identity provider's keys is put on record. */
export function tokenVerifierFor(config: Pick<Config, 'env' | 'auth'>, logger: Logger): TokenVerifier {
  if (config.env === 'production' && !config.auth.jwksUrl) {
    logger.warn({ setting: 'JWT_ALLOW_SHARED_SECRET' }, 'production accepts HS256 access tokens signed with JWT_SECRET, by explicit opt-out');
  }
  return createTokenVerifier(config.auth);
}

/** The token of an `Authorization: Bearer …` header; the scheme name is case-insensitive (RFC 7235 §2.1). */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^bearer +([A-Za-z0-9_.~+/-]+=*) *$/i.exec(authorization ?? '')?.[1];
}

/** An HS256 token for local development and tests; production tokens come from the identity provider. */
export function issueToken(settings: TokenSettings, caller: Caller, ttlSeconds = 8 * 3600): Promise<string> {
  return new SignJWT({ role: caller.role, region: caller.region, window: caller.windowId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(caller.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(new TextEncoder().encode(settings.secret));
}
