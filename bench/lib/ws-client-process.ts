// Child process that owns every WebSocket client of the bench, so the load generator does not
// share an event loop with the autocannon runs or the runner's bookkeeping. Driven over IPC.
import type WebSocket from 'ws';
import { runFanout, type FanoutParams } from './relay-fanout-client';
import { runRooms, type RoomsParams } from './relay-rooms-client';
import { closeAll, connectAll } from './ws-connect';

export type ClientCommand =
  | { cmd: 'fanout'; params: FanoutParams }
  | { cmd: 'rooms'; params: RoomsParams }
  | { cmd: 'idle-open'; params: { urls: string[]; concurrency: number } }
  | { cmd: 'idle-status'; params: Record<string, never> }
  | { cmd: 'idle-close'; params: Record<string, never> };

export interface ClientRequest {
  id: number;
  command: ClientCommand;
}

export type ClientReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

let idle: (WebSocket | undefined)[] = [];

async function handle(command: ClientCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'fanout':
      return runFanout(command.params);
    case 'rooms':
      return runRooms(command.params);
    case 'idle-open': {
      const res = await connectAll(command.params.urls, command.params.concurrency);
      idle = res.sockets;
      return { opened: idle.filter((ws) => ws !== undefined).length, failed: res.failed, first_error: res.firstError ?? null };
    }
    case 'idle-status':
      return { open: idle.filter((ws) => ws !== undefined && ws.readyState === ws.OPEN).length };
    case 'idle-close':
      closeAll(idle);
      idle = [];
      return { closed: true };
  }
}

process.on('message', (message: ClientRequest) => {
  handle(message.command).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies ClientReply),
    (err: unknown) => process.send?.({ id: message.id, ok: false, error: (err as Error).message } satisfies ClientReply),
  );
});
// The runner went away: nothing left to do.
process.on('disconnect', () => process.exit(0));
