import { createApp } from './app.factory.js';
import type { AppConfig } from './config/app-config.js';
import { InvalidConfigError, loadConfig } from './config/load-config.js';
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
const app = await createApp(config);
closeOnSignals(app, config.shutdownTimeoutMs);
await app.listen({ port: config.port, host: '0.0.0.0' });
