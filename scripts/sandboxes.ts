/**
 * `npm run start:sandbox`: the platform sandboxes that stand in for 渝快办 and
 * 四川一体化 on a developer's machine, pushing status changes to the platform
 * subgraphs exactly as the real platforms would.
 */
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { onShutdown } from '../lib/shutdown.js';
import { SICHUAN_WEBHOOK_PATH } from '../subgraphs/sichuan/server.js';
import { YUKUAIBAN_WEBHOOK_PATH } from '../subgraphs/chongqing/server.js';
import { startSichuanSandbox } from '../adapters/sichuan/sichuan.sandbox.js';
import { startYukuaibanSandbox } from '../adapters/yukuaiban/yukuaiban.sandbox.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: 'sandboxes' });
const subgraphBase = (port: number) => `http://${config.host}:${port}`;
const stepMs = config.sandbox.stepMs || undefined;

const yukuaiban = await startYukuaibanSandbox({
  host: config.host,
  port: config.platforms.yukuaiban.sandboxPort,
  appKey: config.platforms.yukuaiban.appKey,
  appSecret: config.platforms.yukuaiban.appSecret,
  webhookUrl: `${subgraphBase(config.subgraphs.chongqing.port)}${YUKUAIBAN_WEBHOOK_PATH}`,
  stepMs,
});
const sichuan = await startSichuanSandbox({
  host: config.host,
  port: config.platforms.sichuan.sandboxPort,
  appId: config.platforms.sichuan.appId,
  appSecret: config.platforms.sichuan.appSecret,
  webhookUrl: `${subgraphBase(config.subgraphs.sichuan.port)}${SICHUAN_WEBHOOK_PATH}`,
  stepMs,
});
logger.info({ yukuaiban: yukuaiban.url, sichuan: sichuan.url }, 'platform sandboxes listening');
onShutdown(logger, async () => {
  await Promise.all([yukuaiban.close(), sichuan.close()]);
});
