import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './constants';
import { onCleanup, withTimeout } from './cleanup';
import { killChild } from './processes';
import type { ClientCommand, ClientReply } from './ws-client-process';

/** Parent side of `ws-client-process.ts`: one forked child, one command at a time. */
export class WsClientDriver {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ClientReply) => void>();
  private readonly removeCleanup: () => void;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ClientReply) => {
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
    child.on('exit', (code, signal) => {
      for (const [id, resolve] of this.pending) resolve({ id, ok: false, error: `ws client process exited (${code ?? signal})` });
      this.pending.clear();
    });
    this.removeCleanup = onCleanup('stop ws client process', () => killChild(child));
  }

  static start(): WsClientDriver {
    const script = fileURLToPath(new URL('./ws-client-process.ts', import.meta.url));
    const child = fork(script, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new WsClientDriver(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async call<T>(command: ClientCommand, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    const reply = new Promise<ClientReply>((resolve) => this.pending.set(id, resolve));
    this.child.send({ id, command });
    const answer = await withTimeout(reply, timeoutMs, `ws client "${command.cmd}"`).finally(() => this.pending.delete(id));
    if (!answer.ok) throw new Error(answer.error);
    return answer.result as T;
  }

  async stop(): Promise<void> {
    await killChild(this.child);
    this.removeCleanup();
  }
}
