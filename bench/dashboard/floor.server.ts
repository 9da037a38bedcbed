import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphFetcher, type SubgraphFetcher } from '../../gateway/subgraph.fetcher.js';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, type GatewayKey } from '../../lib/auth/gateway-signature.js';
import { fetchesOf, type Replay } from './query-plan.recorder.js';

export interface RunningFloor {
  url: string;
  /** What every request is answered with when each subgraph gave its recorded answer. */
  answer: string;
  close(): Promise<void>;
}

class FloorMismatch extends Error {}

/**
 * The floor of a gateway: an HTTP endpoint that, for every request, issues the
 * recorded subgraph fetches of the query plan — in the plan's order, parallel where
 * it is parallel, with the request's own credentials, a request id and the gateway's signature, over the
 * gateway's own subgraph client — and nothing else: no parsing, validation, planning,
 * representations or merging of answers. Each subgraph answer must equal the
 * recorded one byte for byte, or the request fails (HTTP 502), so a floor that went
 * wrong shows up as errors rather than as speed.
 */
export async function startFloor(replay: Replay, timeoutMs: number, signingKey: GatewayKey): Promise<RunningFloor> {
  const fetcher = createSubgraphFetcher({ timeoutMs });
  const answer = JSON.stringify({ data: { fetches: fetchesOf(replay).length } });
  const server = createServer((request, response) => {
    handle(request, response, replay, fetcher, answer, signingKey).catch((error: unknown) => {
      response.writeHead(error instanceof FloorMismatch ? 502 : 500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    answer,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      fetcher.close();
    },
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, replay: Replay, fetcher: SubgraphFetcher, answer: string, signingKey: GatewayKey) {
  // The body is the gateway's to read: the floor only drains it.
  request.resume();
  await once(request, 'end');
  const headers = {
    'content-type': 'application/json',
    'x-request-id': randomUUID(),
    authorization: request.headers.authorization ?? '',
  };
  await run(replay, headers, fetcher, signingKey);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(answer);
}

async function run(step: Replay, headers: Record<string, string>, fetcher: SubgraphFetcher, key: GatewayKey): Promise<void> {
  if (step.kind === 'fetch') {
    const { pathname, search } = new URL(step.fetch.url);
    const signature = signGatewayRequest(key, { method: 'POST', target: `${pathname}${search}`, body: step.fetch.body, authorization: headers.authorization });
    const received = await fetcher(step.fetch.url, { method: 'POST', headers: { ...headers, [GATEWAY_SIGNATURE_HEADER]: signature }, body: step.fetch.body });
    if ((await received.text()) !== step.fetch.answer) throw new FloorMismatch(`${step.fetch.subgraph} answered other than recorded`);
  } else if (step.kind === 'sequence') {
    for (const next of step.steps) await run(next, headers, fetcher, key);
  } else {
    await Promise.all(step.steps.map((next) => run(next, headers, fetcher, key)));
  }
}
