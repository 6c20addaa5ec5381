import { loadConfig } from '../../src/config/load-config.js';

/** Every variable `loadConfig` reads, found by watching it read. */
export function variablesTheServiceReads(): Set<string> {
  const names = new Set<string>();
  loadConfig(
    new Proxy(
      {},
      {
        get: (_, name) => {
          if (typeof name === 'string') names.add(name);
          return undefined;
        },
      },
    ),
  );
  return names;
}
