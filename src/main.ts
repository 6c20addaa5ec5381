import cluster from 'node:cluster';
import { createApp } from './app.factory.js';
import type { AppConfig } from './config/app-config.js';
import { InvalidConfigError, loadConfig } from './config/load-config.js';
import { runClusterPrimary } from './cluster.js';
import { createLogger } from './logging/create-logger.js';
import { closeOnSignals } from './shutdown.js';

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

const config = loadConfigOrExit();
if (config.clusterWorkers > 1 && cluster.isPrimary) {
  runClusterPrimary(config.clusterWorkers, createLogger(config.logLevel));
} else {
  const app = await createApp(config);
  closeOnSignals(app, config);
  await app.listen({ port: config.port, host: '0.0.0.0' });
}
