import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const DEPLOYMENT_MANIFEST = 'deploy/kubernetes/base/deployment.yaml';
// What the manifests set when this was written: the soak still has a bound
// to hold the service to when the file is missing or sets none.
export const FALLBACK_MEMORY_LIMIT = '384Mi';

const UNITS = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
};

/**
 * The memory limit of the API container in the Kubernetes manifests
 * (resources.limits.memory of the Deployment's container `api`, or of its
 * only container).
 * @param {string} root the repository
 * @returns {{ text: string, bytes: number, source: string }} source says
 *   where the limit came from, or why the fallback stands in
 */
export function deploymentMemoryLimit(root) {
  const file = join(root, DEPLOYMENT_MANIFEST);
  const found = existsSync(file) ? limitIn(readFileSync(file, 'utf8')) : null;
  if (found) {
    const bytes = quantityBytes(found);
    if (bytes !== null)
      return { text: found, bytes, source: DEPLOYMENT_MANIFEST };
  }
  const why = !existsSync(file)
    ? `${DEPLOYMENT_MANIFEST} not found`
    : found
      ? `${DEPLOYMENT_MANIFEST} sets ${found}, which this does not read`
      : `${DEPLOYMENT_MANIFEST} sets no memory limit for the api container`;
  return {
    text: FALLBACK_MEMORY_LIMIT,
    bytes: quantityBytes(FALLBACK_MEMORY_LIMIT),
    source: `assumed: ${why}`,
  };
}

function limitIn(manifest) {
  for (const document of parseAllDocuments(manifest)) {
    const resource = document.toJS();
    if (resource?.kind !== 'Deployment') continue;
    const containers = resource.spec?.template?.spec?.containers ?? [];
    const api =
      containers.find((container) => container.name === 'api') ??
      (containers.length === 1 ? containers[0] : undefined);
    const memory = api?.resources?.limits?.memory;
    if (memory !== undefined) return String(memory);
  }
  return null;
}

/** A Kubernetes quantity (`384Mi`, `400M`, `402653184`) in bytes; null if not one. */
export function quantityBytes(quantity) {
  const match = /^(\d+(?:\.\d+)?)(k|M|G|Ki|Mi|Gi)?$/.exec(quantity.trim());
  return match ? Number(match[1]) * UNITS[match[2] ?? ''] : null;
}
