import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type {
  AppControllerRoute,
  AppViewRoute,
  BullBoardQueues,
  ControllerHandlerReturnType,
  IServerAdapter,
  UIConfig,
} from '@bull-board/api/typings/app';
import { headerValue, json, type HttpRequest, type HttpResponse } from '../lib/http-server.js';

interface CompiledRoute<T> {
  method: string;
  pattern: RegExp;
  keys: string[];
  route: T;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * bull-board on lib/http-server's router, so the gateway needs no second web
 * framework: bull-board hands its API routes, entry view and static folder to
 * this adapter, which serves them for requests under `basePath`. The entry page
 * is bull-board's own template without its web-font link, so the dashboard
 * loads nothing from outside the gateway.
 */
export class BullBoardAdapter implements IServerAdapter {
  private queues: BullBoardQueues = new Map();
  private uiConfig: UIConfig = {};
  private viewsPath = '';
  private staticRoute = '/static';
  private staticPath = '';
  private entryRoutes: CompiledRoute<AppViewRoute>[] = [];
  private apiRoutes: CompiledRoute<AppControllerRoute>[] = [];
  private errorHandler: (error: Error) => ControllerHandlerReturnType = () => ({ status: 500, body: { error: 'internal error' } });
  private template: Promise<string> | undefined;

  constructor(private readonly basePath: string) {}

  setQueues(queues: BullBoardQueues): this {
    this.queues = queues;
    return this;
  }

  setViewsPath(viewsPath: string): this {
    this.viewsPath = viewsPath;
    return this;
  }

  setStaticPath(staticRoute: string, staticPath: string): this {
    this.staticRoute = staticRoute;
    this.staticPath = resolve(staticPath);
    return this;
  }

  setEntryRoute(route: AppViewRoute): this {
    this.entryRoutes = compile(route, route.method, route.route);
    return this;
  }

  setErrorHandler(handler: (error: Error) => ControllerHandlerReturnType): this {
    this.errorHandler = handler;
    return this;
  }

  setApiRoutes(routes: AppControllerRoute[]): this {
    this.apiRoutes = routes.flatMap((route) => compile(route, route.method, route.route));
    return this;
  }

  setUIConfig(config: UIConfig = {}): this {
    this.uiConfig = config;
    return this;
  }

  /** A request whose path lies under `basePath` (already authorised). */
  async handle(request: HttpRequest): Promise<HttpResponse> {
    const path = request.path.slice(this.basePath.length) || '/';
    const method = request.method.toLowerCase();
    if (method === 'get' && path.startsWith(`${this.staticRoute}/`)) return this.serveStatic(path.slice(this.staticRoute.length + 1));

    const api = match(this.apiRoutes, method, path);
    if (api) {
      let body: Record<string, unknown> = {};
      if (request.rawBody.length && headerValue(request.headers['content-type'])?.includes('application/json')) {
        try {
          body = JSON.parse(request.rawBody.toString('utf8')) as Record<string, unknown>;
        } catch {
          return json(400, { error: 'request body is not valid JSON' });
        }
      }
      let result: ControllerHandlerReturnType;
      try {
        result = await api.route.handler({
          queues: this.queues,
          uiConfig: this.uiConfig,
          query: Object.fromEntries(new URLSearchParams(request.search)),
          params: api.params,
          body,
          headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, headerValue(value)])),
        });
      } catch (error) {
        result = this.errorHandler(error as Error);
      }
      const status = result.status ?? 200;
      return status === 204 ? { status, body: '' } : json(status, result.body);
    }

    const entry = match(this.entryRoutes, method, path);
    if (entry) {
      const { params } = entry.route.handler({ basePath: this.basePath, uiConfig: this.uiConfig });
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        body: renderTemplate(await this.loadTemplate(), params),
      };
    }
    return json(404, { error: { code: 'HTTP.NOT_FOUND', message: `${request.method} ${request.path} not found` } });
  }

  private loadTemplate(): Promise<string> {
    this.template ??= readFile(join(this.viewsPath, 'index.ejs'), 'utf8').then((html) =>
      html.replace(/<link[^>]*fonts\.googleapis\.com[^>]*>\s*/g, ''),
    );
    return this.template;
  }

  private async serveStatic(relative: string): Promise<HttpResponse> {
    const file = resolve(this.staticPath, decodeURIComponent(relative));
    if (!file.startsWith(this.staticPath + sep)) return json(404, { error: { code: 'HTTP.NOT_FOUND', message: 'not found' } });
    try {
      return {
        status: 200,
        headers: {
          'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          // File names carry content hashes; the dashboard is behind a login, so only the browser keeps them.
          'cache-control': 'private, max-age=86400',
        },
        body: await readFile(file),
      };
    } catch {
      return json(404, { error: { code: 'HTTP.NOT_FOUND', message: 'not found' } });
    }
  }
}

function compile<T>(route: T, methods: string | string[], paths: string | string[]): CompiledRoute<T>[] {
  return [methods].flat().flatMap((method) =>
    [paths].flat().map((path) => {
      const keys: string[] = [];
      const source = path
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          keys.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      return { method, pattern: new RegExp(`^${source}/?$`), keys, route };
    }),
  );
}

function match<T>(routes: CompiledRoute<T>[], method: string, path: string): { route: T; params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const found = candidate.pattern.exec(path);
    if (found) {
      const params = Object.fromEntries(candidate.keys.map((key, i) => [key, decodeURIComponent(found[i + 1]!)]));
      return { route: candidate.route, params };
    }
  }
  return undefined;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The two EJS tags bull-board's page uses: `<%= name %>` (escaped) and `<%- name %>` (raw; bull-board escapes the JSON itself). */
export function renderTemplate(template: string, params: Record<string, string>): string {
  return template.replace(/<%([=-])\s*(\w+)\s*%>/g, (_, tag: string, name: string) => {
    const value = params[name] ?? '';
    return tag === '-' ? value : value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
  });
}
