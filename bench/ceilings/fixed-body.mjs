import { SAMPLE_USER_JSON, serve } from './serve.mjs';

serve(async () => ({ body: SAMPLE_USER_JSON }));
