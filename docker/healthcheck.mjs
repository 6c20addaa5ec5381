// Container health check: slim images have no curl. Exits 0 only when
// GET /health (PostgreSQL and Redis both up) answers 200 in time.
const TIMEOUT_MS = 4000;
const port = process.env.PORT?.trim() || '3000';

try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  // Docker keeps this output in the container's health log.
  process.stdout.write(`/health ${response.status} ${await response.text()}\n`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  console.error(
    `/health failed: ${error instanceof Error ? error.message : error}`,
  );
  process.exit(1);
}
