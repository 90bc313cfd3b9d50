import http from 'node:http';

export interface SseListener {
  /** Called with each event's type and its JSON data, in order. */
  onEvent(type: string, data: any): void;
}

/** A bench SSE connection over node:http (no agent pooling): resolves once the 200 arrives. */
export function openSse(url: string, email: string, listener: SseListener, headers: Record<string, string> = {}): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { cookie: `email=${email}`, accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let idx: number;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          let type = '';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') listener.onEvent(type, JSON.parse(data));
        }
      });
      res.on('error', () => {});
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
