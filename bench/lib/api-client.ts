/** Minimal Meeting API client for seeding and verification (not for load). */
export interface ApiAnswer<T = unknown> {
  status: number;
  body: { success: boolean; result: T } | undefined;
}

export class ApiClient {
  constructor(private readonly baseUrl: string) {}

  async call<T = unknown>(method: string, path: string, email: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { cookie: `email=${email}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed: ApiAnswer<T>['body'];
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as ApiAnswer<T>['body']);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  }

  /** Like `call`, but throws unless the status is the expected one. */
  async expect<T = unknown>(status: number, method: string, path: string, email: string, body?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, email, body);
    if (answer.status !== status || answer.body === undefined) {
      throw new Error(`${method} ${path} as ${email}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body.result;
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight; rejects on the first failure. */
export async function forEachBounded<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
