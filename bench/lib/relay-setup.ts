/** Shape of the relay scenarios, shared by the Media Server runs and the ws-broadcast limit. */
export const FANOUT_RECEIVERS = 49;
export const ROOMS = 250;
export const ROOM_SIZE = 4;

export function fanoutUrls(url: (member: number) => string): { senderUrl: string; receiverUrls: string[] } {
  return {
    senderUrl: url(0),
    receiverUrls: Array.from({ length: FANOUT_RECEIVERS }, (_, i) => url(i + 1)),
  };
}

export function roomsUrls(url: (room: number, member: number) => string): string[][] {
  return Array.from({ length: ROOMS }, (_, r) => Array.from({ length: ROOM_SIZE }, (_, m) => url(r, m)));
}
