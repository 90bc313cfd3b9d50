/**
 * `npm run example:embed`: the customer site at http://127.0.0.1:9200 against a Meeting API
 * (`npm start`) at MEETING_API_URL (default http://localhost:8081: another origin).
 * Needs MEETING_API_KEY (`npm run api-key -- create --name example`), and the API started with
 * EMBED_ORIGINS=http://127.0.0.1:9200 so that it lets this site frame its meeting pages.
 */
import { startExample } from './server';

const apiKey = process.env.MEETING_API_KEY;
if (!apiKey) {
  console.error('example:embed: set MEETING_API_KEY (create one with: npm run api-key -- create --name example)');
  process.exit(1);
}
const port = Number(process.env.EXAMPLE_PORT ?? 9200);
const example = await startExample({ apiUrl: process.env.MEETING_API_URL ?? 'http://localhost:8081', apiKey, port, host: '127.0.0.1' });
console.log(`Acme Clinic (the example customer site) at ${example.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void example.close().then(() => process.exit(0)));
