import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppControllerRoute } from '@bull-board/api/typings/app';
import { describe, expect, it } from 'vitest';
import { BullBoardAdapter, renderTemplate } from '../../gateway/bull-board.adapter.js';
import { readCookie } from '../../gateway/ops.routes.js';
import type { HttpRequest } from '../../lib/http-server.js';

function request(method: string, path: string, options: { search?: string; body?: unknown } = {}): HttpRequest {
  const rawBody = options.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.body));
  return { method, path, search: options.search ?? '', headers: { 'content-type': 'application/json' }, rawBody, requestId: 'r' };
}

describe('readCookie', () => {
  it('finds one cookie among others', () => {
    expect(readCookie('a=1; ops_token=abc.def-ghi; b=2', 'ops_token')).toBe('abc.def-ghi');
    expect(readCookie('xops_token=1', 'ops_token')).toBeUndefined();
    expect(readCookie('ops_token=', 'ops_token')).toBeUndefined();
    expect(readCookie(undefined, 'ops_token')).toBeUndefined();
  });
});

describe('renderTemplate', () => {
  it('escapes <%= %> and inserts <%- %> as given', () => {
    expect(renderTemplate('<title><%= title %></title><script><%- config %></script>', { title: '<队列> & "x"', config: '{"a":1}' })).toBe(
      '<title>&lt;队列&gt; &amp; &quot;x&quot;</title><script>{"a":1}</script>',
    );
  });
});

describe('BullBoardAdapter', () => {
  async function board() {
    const ui = await mkdtemp(join(tmpdir(), 'board-'));
    await mkdir(join(ui, 'static', 'css'), { recursive: true });
    await writeFile(join(ui, 'static', 'css', 'main.css'), 'body{}');
    await writeFile(
      join(ui, 'index.ejs'),
      '<base href="<%= basePath %>" /><link href="https://fonts.googleapis.com/css2?family=IBM+Plex+Sans" rel="stylesheet">\n<script id="c"><%- uiConfig %></script>',
    );
    const calls: unknown[] = [];
    const routes: AppControllerRoute[] = [
      {
        method: 'get',
        route: '/api/queues/:queueName/:jobId',
        spec: { summary: '', response: 'GetJobResponse' },
        handler: (req) => {
          calls.push({ params: req?.params, query: req?.query });
          return { status: 200, body: { ok: true } } as never;
        },
      },
      {
        method: ['put', 'patch'],
        route: '/api/queues/:queueName/:jobId/update-data',
        spec: { summary: '', response: 'EmptyResponse' },
        handler: (req) => {
          calls.push({ body: req?.body });
          return { status: 204, body: {} } as never;
        },
      },
      {
        method: 'put',
        route: '/api/queues/:queueName/pause',
        spec: { summary: '', response: 'EmptyResponse' },
        handler: () => {
          throw Object.assign(new Error('queue is read-only'), { statusCode: 405 });
        },
      },
    ];
    const adapter = new BullBoardAdapter('/ops/queues')
      .setQueues(new Map())
      .setViewsPath(ui)
      .setStaticPath('/static', join(ui, 'static'))
      .setErrorHandler((error) => ({ status: 405, body: { error: error.message } }))
      .setEntryRoute({
        method: 'get',
        route: ['/', '/queue/:queueName'],
        handler: ({ basePath, uiConfig }) => ({ name: 'index.ejs', params: { basePath: `${basePath}/`, uiConfig: JSON.stringify(uiConfig) } }),
      })
      .setUIConfig({ boardTitle: 't' })
      .setApiRoutes(routes);
    return { adapter, calls };
  }

  it('routes API calls with decoded path parameters, query and JSON body', async () => {
    const { adapter, calls } = await board();
    const read = await adapter.handle(request('GET', '/ops/queues/api/queues/%7Bmaterial-transfer%7D/transfer-TB1', { search: '?status=failed' }));
    expect([read.status, JSON.parse(String(read.body))]).toEqual([200, { ok: true }]);
    const write = await adapter.handle(request('PATCH', '/ops/queues/api/queues/q/1/update-data', { body: { data: { a: 1 } } }));
    expect(write.status).toBe(204);
    expect(calls).toEqual([{ params: { queueName: '{material-transfer}', jobId: 'transfer-TB1' }, query: { status: 'failed' } }, { body: { data: { a: 1 } } }]);
    expect((await adapter.handle(request('PUT', '/ops/queues/api/queues/q/pause'))).status).toBe(405);
    expect((await adapter.handle(request('DELETE', '/ops/queues/api/queues/q/1'))).status).toBe(404);
  });

  it('renders the entry page for its client routes without the web-font link', async () => {
    const { adapter } = await board();
    for (const path of ['/ops/queues/', '/ops/queues/queue/%7Bnotifications%7D']) {
      const page = await adapter.handle(request('GET', path));
      expect(page.status).toBe(200);
      expect(String(page.body)).toBe('<base href="/ops/queues/" /><script id="c">{"boardTitle":"t"}</script>');
    }
  });

  it('serves its static folder and nothing outside it', async () => {
    const { adapter } = await board();
    const css = await adapter.handle(request('GET', '/ops/queues/static/css/main.css'));
    expect([css.status, css.headers?.['content-type'], String(css.body)]).toEqual([200, 'text/css; charset=utf-8', 'body{}']);
    expect((await adapter.handle(request('GET', '/ops/queues/static/../index.ejs'))).status).toBe(404);
    expect((await adapter.handle(request('GET', '/ops/queues/static/%2e%2e/index.ejs'))).status).toBe(404);
    expect((await adapter.handle(request('GET', '/ops/queues/static/css/missing.css'))).status).toBe(404);
  });
});
