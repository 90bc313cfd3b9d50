import { useState } from 'react';
import type { MeetingInfo } from 'meeting-client';
import type { LiveMode } from '../../live/meeting-live';
import { Page } from '../../ui/components';
import { usePageTitle } from '../../ui/page-title';
import { nameFor } from '../../ui/people';

/** The waiting room, from the waiter's side. */
export function Lobby({ info, mode, onCancel }: { info: MeetingInfo; mode: LiveMode; onCancel(): Promise<void> | void }) {
  const [busy, setBusy] = useState(false);
  usePageTitle(`Waiting to join “${info.meeting_id}”`);
  return (
    <Page title={info.state === 'active' ? 'Waiting for the host to let you in' : 'Waiting for the host'} announce>
      <div className="waiting-row">
        <div className="spinner" aria-hidden="true" />
        <p role="status">
          You asked to join <strong>{info.meeting_id}</strong>, hosted by {nameFor(info.host, info.host_display_name)}.
          {info.state === 'active' ? '' : ' The meeting has not started yet: the host will see you waiting when they start it.'} This page updates by itself.
        </p>
      </div>
      <p className="hint">{liveHint(mode)}</p>
      <button
        type="button"
        className="secondary"
        disabled={busy}
        aria-busy={busy || undefined}
        onClick={() => {
          setBusy(true);
          void Promise.resolve(onCancel()).finally(() => setBusy(false));
        }}
      >
        {busy && <span className="spinner small" aria-hidden="true" />}
        Stop waiting
      </button>
    </Page>
  );
}

export function liveHint(mode: LiveMode): string {
  switch (mode) {
    case 'events':
      return 'Live updates: on.';
    case 'long-poll':
      return 'Live updates: checking with the server.';
    case 'polling':
      return 'Live updates: checking every few seconds.';
    default:
      return 'Connecting for live updates…';
  }
}
