import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { json, type Route } from '../lib/http-server.js';

/**
 * GraphiQL for developers, from the installed packages (devDependencies), so it
 * works without a network: GraphiQL's UMD build over React 18's UMD builds
 * (React 19 ships none). The gateway serves it only outside production.
 */
const ASSETS = new Map([
  ['react.production.min.js', { packageName: 'react', file: 'umd/react.production.min.js', contentType: 'text/javascript; charset=utf-8' }],
  ['react-dom.production.min.js', { packageName: 'react-dom', file: 'umd/react-dom.production.min.js', contentType: 'text/javascript; charset=utf-8' }],
  ['graphiql.min.js', { packageName: 'graphiql', file: 'graphiql.min.js', contentType: 'text/javascript; charset=utf-8' }],
  ['graphiql.min.css', { packageName: 'graphiql', file: 'graphiql.min.css', contentType: 'text/css; charset=utf-8' }],
]);

const DEFAULT_QUERY = `# tongban 开发环境 GraphiQL
# 1. 把 npm start 打印的开发令牌粘贴到下方 Headers 的 Authorization 中（"Bearer " 之后）；
# 2. 点击左侧的刷新按钮（Re-fetch GraphQL schema，Shift+Ctrl+R）载入文档；
# 3. 运行（Ctrl+Enter）。
query Windows {
  windows(region: SICHUAN) {
    id
    name
  }
}
`;

const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex">
  <title>tongban GraphiQL（开发环境）</title>
  <link rel="stylesheet" href="graphiql/assets/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="graphiql/assets/react.production.min.js"></script>
  <script src="graphiql/assets/react-dom.production.min.js"></script>
  <script src="graphiql/assets/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: new URL('graphql', location.href).href });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
        defaultHeaders: ${JSON.stringify(JSON.stringify({ Authorization: 'Bearer <开发令牌>' }, null, 2))},
        defaultEditorToolsVisibility: 'headers',
      }),
    );
  </script>
</body>
</html>
`;

export function graphiqlRoutes(): Route[] {
  const require = createRequire(import.meta.url);
  const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
  return [
    { method: 'GET', path: '/graphiql', handler: async () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: PAGE }) },
    {
      method: 'GET',
      path: '/graphiql/assets/*',
      handler: async (request) => {
        const asset = ASSETS.get(request.path.slice('/graphiql/assets/'.length));
        if (!asset) return json(404, { error: { code: 'HTTP.NOT_FOUND', message: `${request.path} not found` } });
        return {
          status: 200,
          headers: { 'content-type': asset.contentType, 'cache-control': 'public, max-age=3600' },
          body: await readFile(join(packageDir(asset.packageName), asset.file)),
        };
      },
    },
  ];
}
