/**
 * Teardown registry: children and the bench database are released on normal exit,
 * on Ctrl-C / SIGTERM and on uncaught errors. Tasks run last-registered first.
 */
type Task = () => Promise<void> | void;

const tasks: { name: string; fn: Task }[] = [];
let running: Promise<void> | undefined;

export function onCleanup(name: string, fn: Task): () => void {
  const entry = { name, fn };
  tasks.push(entry);
  return () => {
    const i = tasks.indexOf(entry);
    if (i >= 0) tasks.splice(i, 1);
  };
}

export function runCleanup(): Promise<void> {
  running ??= (async () => {
    while (tasks.length > 0) {
      const task = tasks.pop();
      if (task === undefined) break;
      try {
        await withTimeout(Promise.resolve(task.fn()), 10_000, task.name);
      } catch (err) {
        console.error(`cleanup "${task.name}" failed: ${(err as Error).message}`);
      }
    }
  })();
  return running;
}

export function installSignalHandlers(): void {
  const bail = (code: number) => {
    void runCleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail(130));
  process.once('SIGTERM', () => bail(143));
  process.on('uncaughtException', (err) => {
    console.error('uncaught exception:', err);
    bail(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error('unhandled rejection:', err);
    bail(1);
  });
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
