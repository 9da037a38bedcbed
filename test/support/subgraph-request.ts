import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, type GatewayKey } from '../../lib/auth/gateway-signature.js';

/** Headers of a GraphQL POST to a subgraph as the gateway sends it: the caller's token and the gateway's signature. */
export function asGateway(key: GatewayKey, url: string, body: string, authorization?: string): Record<string, string> {
  const { pathname, search } = new URL(url);
  return {
    'content-type': 'application/json',
    ...(authorization ? { authorization } : {}),
    [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest(key, { method: 'POST', target: `${pathname}${search}`, body, authorization }),
  };
}
