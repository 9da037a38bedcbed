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
import { startCourierSandbox } from '../adapters/courier/courier.sandbox.js';
import { startNotifySandbox } from '../adapters/notify/notify.sandbox.js';
import { startSichuanSandbox } from '../adapters/sichuan/sichuan.sandbox.js';
import { COURIER_WEBHOOK_PATH } from '../subgraphs/courier/server.js';
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
const courier = await startCourierSandbox({
  host: config.host,
  port: config.platforms.courier.sandboxPort,
  partnerId: config.platforms.courier.partnerId,
  secret: config.platforms.courier.secret,
  pushUrl: `${subgraphBase(config.subgraphs.courier.port)}${COURIER_WEBHOOK_PATH}`,
  stepMs,
});
const notify = await startNotifySandbox({
  host: config.host,
  port: config.platforms.notify.sandboxPort,
  appId: config.platforms.notify.appId,
  secret: config.platforms.notify.secret,
});
logger.info({ yukuaiban: yukuaiban.url, sichuan: sichuan.url, courier: courier.url, notify: notify.url }, 'sandboxes listening');
onShutdown(logger, async () => {
  await Promise.all([yukuaiban.close(), sichuan.close(), courier.close(), notify.close()]);
});
