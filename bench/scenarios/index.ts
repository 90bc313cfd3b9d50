import { abuse } from './abuse';
import { chaos } from './chaos';
import type { BenchContext } from './context';
import { embedded } from './embedded';
import { glassToGlass } from './glass-to-glass';
import { idleConnections } from './idle-connections';
import { joinAdmit } from './join-admit';
import { list } from './list';
import { admissionPush, enforcement, eventStreams } from './live-events';
import { metricsCost } from './metrics-cost';
import { relayFanout, relayRooms } from './relay';
import { statusPoll, waitingStatusPoll } from './status-poll';
import { statusPollSession } from './status-poll-session';
import { webhooks } from './webhooks';
import { townHall } from './town-hall';
import { waitingList } from './waiting-list';

export interface Scenario {
  name: string;
  service: 'meeting-api' | 'media-server';
  run(ctx: BenchContext): Promise<void>;
}

/** In run order: API first, then the relay, idle last because it restarts the Media Server. */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'status-poll', service: 'meeting-api', run: statusPoll },
  { name: 'waiting-status-poll', service: 'meeting-api', run: waitingStatusPoll },
  { name: 'waiting-list', service: 'meeting-api', run: waitingList },
  { name: 'status-poll-session', service: 'meeting-api', run: statusPollSession },
  { name: 'status-poll-metrics', service: 'meeting-api', run: metricsCost },
  { name: 'join-admit', service: 'meeting-api', run: joinAdmit },
  { name: 'list', service: 'meeting-api', run: list },
  { name: 'webhooks', service: 'meeting-api', run: webhooks },
  { name: 'town-hall', service: 'meeting-api', run: townHall },
  { name: 'embedded', service: 'meeting-api', run: embedded },
  { name: 'admission-push', service: 'meeting-api', run: admissionPush },
  { name: 'event-streams', service: 'meeting-api', run: eventStreams },
  { name: 'enforcement', service: 'media-server', run: enforcement },
  { name: 'relay-fanout', service: 'media-server', run: relayFanout },
  { name: 'relay-rooms', service: 'media-server', run: relayRooms },
  // Real Chromium and Firefox pages through the Media Server, frame stamp to decode per browser pair.
  { name: 'glass-to-glass', service: 'media-server', run: glassToGlass },
  { name: 'idle-connections', service: 'media-server', run: idleConnections },
  // The attacks: memory bounds under abuse (several Media Servers, NATS, the API).
  { name: 'abuse', service: 'media-server', run: abuse },
  // Last: it restarts PostgreSQL, under everything else.
  { name: 'chaos', service: 'meeting-api', run: chaos },
];
