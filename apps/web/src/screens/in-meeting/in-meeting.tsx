import { useEffect, useState } from 'react';
import type { MeetingInfo, Participant } from 'meeting-client';
import { api } from '../../api';
import { CallStage } from '../../call/call-stage';
import type { Identity } from '../../identity';
import type { LiveMode } from '../../live/meeting-live';
import { meetingLink } from '../../router';
import { ErrorMessage, Page } from '../../ui/components';
import { HostPanel, ParticipantControls, canManageWaitingRoom, hasControls, isHostLike } from '../host-panel/host-panel';
import { liveHint } from '../lobby/lobby';

let mediaServerUrl: Promise<string> | undefined;
function getMediaServerUrl(): Promise<string> {
  mediaServerUrl ??= api.clientConfig().then((c) => c.media_server_url);
  return mediaServerUrl;
}

/** Inside the meeting: the call, the participants, leaving; the host panel for those who may admit. */
export function InMeeting({ info, me, identity, version, mode, getToken, onLeave, onChanged }: {
  info: MeetingInfo;
  me: Participant;
  identity: Identity;
  version: number;
  mode: LiveMode;
  getToken(): Promise<string | null>;
  onLeave(): void;
  onChanged(): void;
}) {
  const [people, setPeople] = useState<Participant[] | null>(null);
  const [mediaUrl, setMediaUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    getMediaServerUrl().then(setMediaUrl, (err: unknown) => {
      mediaServerUrl = undefined;
      setError(err);
    });
  }, []);

  useEffect(() => {
    api.participants(info.meeting_id).then(
      (list) => {
        setPeople(list);
        setError(null);
      },
      (err: unknown) => setError(err),
    );
  }, [info.meeting_id, version]);

  const [copied, setCopied] = useState<string | null>(null);
  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(meetingLink(info.meeting_id));
      setCopied('Link copied.');
    } catch {
      setCopied('Copying is blocked here: select the link and copy it.');
    }
  };

  const hostLeaving = me.is_host && info.host_leave_policy !== 'transfer';
  // Roles as the API says now (a token's is_host is from when it was minted).
  const hosts = people === null ? undefined : new Set(people.filter((p) => p.is_host).map((p) => p.email));

  return (
    <div className="stack">
      <Page title={`Meeting “${info.meeting_id}”`} wide announce>
        <div className="row live-line">
          <span className="badge live">live</span>
          <span className="muted">{liveHint(mode)}</span>
        </div>
        <div className="field">
          <label htmlFor="meeting-link">Invite link</label>
          <div className="link-box">
            <input id="meeting-link" readOnly value={meetingLink(info.meeting_id)} onFocus={(e) => e.target.select()} />
            <button type="button" className="secondary" onClick={() => void copyLink()}>
              Copy link
            </button>
          </div>
          {copied && (
            <small className="hint" role="status">
              {copied}
            </small>
          )}
        </div>
        <ErrorMessage error={error} />
        <div className="meeting-layout">
          {mediaUrl ? (
            <CallStage mediaServerUrl={mediaUrl} getToken={getToken} onServerClosed={onChanged} hosts={hosts} />
          ) : (
            <section className="call-stage" aria-label="Call">
              <p>Preparing the call…</p>
            </section>
          )}
          <section aria-labelledby="people-title">
            <h2 id="people-title">Participants{people ? ` (${people.length})` : ''}</h2>
            {people === null ? (
              <p className="muted">Loading…</p>
            ) : (
              <ul className="people" data-testid="participants">
                {people.map((p) => (
                  <li key={p.email} data-email={p.email} data-connected={p.connected ? 'true' : 'false'}>
                    <span>
                      <span className="name">
                        {p.display_name ?? p.email}
                        {p.email === identity.email && ' (you)'}
                      </span>
                      {p.is_host ? <span className="badge">host</span> : p.role === 'cohost' ? <span className="badge">co-host</span> : null}
                      <span className={`badge${p.connected ? ' live' : ''}`} data-testid="presence" title={p.connected ? 'Connected to the call' : 'Not connected to the call'}>
                        {p.connected ? 'in the call' : 'not connected'}
                      </span>
                    </span>
                    {hasControls(info) && isHostLike(me) && p.email !== identity.email && (
                      <ParticipantControls info={info} me={me} person={p} onDone={onChanged} onError={setError} />
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
        <div className="row">
          <button type="button" className="danger" onClick={onLeave}>
            {hostLeaving ? 'Leave and end the meeting' : 'Leave'}
          </button>
        </div>
      </Page>
      {canManageWaitingRoom(info, me) && <HostPanel info={info} me={me} version={version} onChanged={onChanged} />}
    </div>
  );
}
