import { createServer } from 'node:net';
import { HOST } from './constants';

/** Asks the kernel for an unused port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the allocated port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}
