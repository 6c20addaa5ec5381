import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import {
  createTestDatabase,
  newUser,
  startApp,
  userLike,
  type TestApp,
} from './support/test-app.js';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_MISSING = !existsSync(CHROMIUM_PATH);
const ARTIFACTS_DIR = fileURLToPath(
  new URL('../test-artifacts/', import.meta.url),
);

/*
 * Chromium runs as root here, so without its sandbox; background networking
 * stays off because this machine's network is closed and Chromium would
 * otherwise keep trying to reach Google.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Presses "Execute" and reads the server response the page shows. */
async function execute(operation: Locator) {
  await operation.getByRole('button', { name: 'Execute' }).click();
  const response = operation.locator('.live-responses-table .response');
  const body = response.locator('h5:text-is("Response body") + div pre');
  const headers = response.locator('h5:text-is("Response headers") + pre');
  return {
    status: Number(await response.locator('.response-col_status').innerText()),
    body: JSON.parse(await body.innerText()),
    headers: await headers.innerText(),
  };
}

/** Saves what the operation shows, for a person to look at. */
async function saveScreenshot(operation: Locator, name: string) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await operation.screenshot({ path });
  console.error(`Swagger UI screenshot: ${path}`);
}

// A browser test skipped because the browser is missing would leave the run
// green without it, where a missing PostgreSQL fails it: skipping is asked for.
const OPTED_OUT = process.env.SKIP_BROWSER_TESTS === '1';
// The default reporter names no skipped test, so say it where a run shows it.
if (OPTED_OUT) {
  console.error('Swagger UI browser test skipped: SKIP_BROWSER_TESTS=1');
}

describe.skipIf(OPTED_OUT)(
  OPTED_OUT
    ? 'Swagger UI in Chromium (skipped: SKIP_BROWSER_TESTS=1)'
    : 'Swagger UI in Chromium',
  { timeout: 60_000 },
  () => {
    let testApp: TestApp;
    let profileDir: string;
    let context: BrowserContext;
    let page: Page;
    /** Console errors and uncaught exceptions, the way CSP violations show up. */
    const pageProblems: string[] = [];
    /** Requests that tried to leave the app: the page must need none. */
    const outsideRequests: string[] = [];

    beforeAll(async () => {
      if (CHROMIUM_MISSING) {
        throw new Error(
          `no Chromium at ${CHROMIUM_PATH}: install the chromium package (scripts/test.sh does), ` +
            'set CHROMIUM_PATH, or set SKIP_BROWSER_TESTS=1 to skip this test',
        );
      }
      testApp = await startApp({ POSTGRES_DB: await createTestDatabase() });
      profileDir = await mkdtemp(join(tmpdir(), 'users-api-chromium-'));
      context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 900 },
      });
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(testApp.api.baseUrl)) return route.continue();
        outsideRequests.push(url);
        return route.abort();
      });
      page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('console', (message) => {
        if (message.type() === 'error') pageProblems.push(message.text());
      });
      page.on('pageerror', (error) => pageProblems.push(error.message));
    });

    afterAll(async () => {
      await context?.close();
      if (profileDir) await rm(profileDir, { recursive: true, force: true });
      await testApp?.close();
    });

    /** Expands an operation, presses "Try it out", returns its block. */
    async function tryOut(operationId: string): Promise<Locator> {
      const operation = page.locator(`#operations-users-${operationId}`);
      await operation.locator('.opblock-summary').click();
      await operation.getByRole('button', { name: 'Try it out' }).click();
      return operation;
    }

    it('creates a user and fetches it back with "Try it out", under a CSP, with no console error', async () => {
      const docs = await page.goto(`${testApp.api.baseUrl}/docs`);
      expect(docs?.status()).toBe(200);
      expect(docs?.headers()['content-security-policy']).toContain(
        "script-src 'self'",
      );
      await expect(page.locator('.info .title').innerText()).resolves.toContain(
        'users-api',
      );

      const user = newUser('Swagger Tester');
      const create = await tryOut('UsersController_create');
      await create
        .locator('textarea.body-param__text')
        .fill(JSON.stringify(user, null, 2));
      const created = await execute(create);
      // Before the assertions, so that a failure leaves a picture behind.
      await saveScreenshot(create, 'swagger-ui-create-user');

      expect(created.status).toBe(201);
      expect(created.body).toEqual(userLike(user));
      expect(created.headers).toContain(`location: /users/${created.body.id}`);

      const findOne = await tryOut('UsersController_findOne');
      await findOne.getByPlaceholder('id').fill(String(created.body.id));
      const fetched = await execute(findOne);
      await saveScreenshot(findOne, 'swagger-ui-get-user');

      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(created.body);
      expect((await testApp.api.get(`/users/${created.body.id}`)).body).toEqual(
        created.body,
      );

      expect(pageProblems).toEqual([]);
      expect(outsideRequests).toEqual([]);
    });
  },
);
