/** `npx hive-gateway supergraph --config-path deploy/gateway.config.ts`: Hive Gateway with tongban's settings (hive-gateway.config.ts). */
import { defineConfig } from '@graphql-hive/gateway';
import { loadConfig } from '../lib/config.js';
import { hiveGatewayConfig } from './hive-gateway.config.js';

export const gatewayConfig = defineConfig(hiveGatewayConfig(loadConfig()));
