import { useCallback, useEffect, useRef, useState } from 'react';
import { MeetingApiError, type MeetingInfo, type Participant } from 'meeting-client';
import { api } from '../../api';
import type { Identity } from '../../identity';
import { MeetingLive, type LiveMode } from '../../live/meeting-live';
import { ErrorMessage, Page } from '../../ui/components';
import { usePageTitle } from '../../ui/page-title';
import { InMeeting } from '../in-meeting/in-meeting';
import { Lobby } from '../lobby/lobby';
import { Outcome, type OutcomeKind } from '../outcome/outcome';
import { PreJoin } from '../prejoin/prejoin';
import { useFrameEvents } from '../../embed/use-frame-events';

type View =
  | { name: 'loading' }
  | { name: 'failed' }
  | { name: 'prejoin' }
  | { name: 'lobby' }
  | { name: 'in' }
  | { name: 'outcome'; kind: OutcomeKind };

/**
 * The meeting link `/m/{id}`: one page that moves through pre-join, the lobby,
 * the meeting and its outcome as the server says, live.
 */
export function MeetingPage({ meetingId, identity, onSignedOut }: { meetingId: string; identity: Identity; onSignedOut(): void }) {
  const [info, setInfo] = useState<MeetingInfo | null>(null);
  const [missing, setMissing] = useState(false);
  const [view, setView] = useState<View>({ name: 'loading' });
  const [version, setVersion] = useState(0);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [error, setError] = useState<unknown>(null);
  // Once the person has knocked or entered on this page, later changes are outcomes to explain.
  const engaged = useRef(false);
  const leftOnPurpose = useRef(false);
  const viewRef = useRef(view);
  viewRef.current = view;

  const decide = useCallback((meeting: MeetingInfo | null): View => {
    if (meeting === null) return engaged.current ? { name: 'outcome', kind: 'deleted' } : { name: 'prejoin' };
    const me = meeting.your_status;
    if (me?.banned) return { name: 'outcome', kind: 'banned' };
    if (engaged.current) {
      if (leftOnPurpose.current) return { name: 'outcome', kind: 'left' };
      // With early knock, people waiting for the host to come back keep waiting.
      if (meeting.state === 'ended' && !(me?.status === 'waiting' && meeting.early_knock)) return { name: 'outcome', kind: 'ended' };
      if (me?.status === 'rejected') return { name: 'outcome', kind: 'rejected' };
      if (me?.status === 'removed') return { name: 'outcome', kind: 'removed' };
      if (me?.status === 'left') return { name: 'outcome', kind: meeting.state === 'active' ? 'left' : 'ended' };
    }
    if (me?.status === 'waiting' && (meeting.state === 'active' || meeting.early_knock)) {
      engaged.current = true;
      return { name: 'lobby' };
    }
    if (me?.status === 'admitted' && meeting.state === 'active') {
      engaged.current = true;
      return { name: 'in' };
    }
    return { name: 'prejoin' };
  }, []);

  const refresh = useCallback(async () => {
    try {
      const meeting = await api.getMeeting(meetingId);
      setInfo(meeting);
      setMissing(false);
      setView(decide(meeting));
      setError(null);
    } catch (err) {
      if (err instanceof MeetingApiError && err.code === 'MEETING_NOT_FOUND') {
        setInfo(null);
        setMissing(true);
        setView(decide(null));
      } else if (err instanceof MeetingApiError && err.code === 'UNAUTHORIZED') {
        onSignedOut();
      } else {
        setError(err);
        // Nothing shown yet: stop "Loading…" and say why, with a way to try again.
        setView((v) => (v.name === 'loading' ? { name: 'failed' } : v));
      }
    }
    setVersion((v) => v + 1);
  }, [meetingId, decide, onSignedOut]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Before the host starts: look again now and then, so "Ask to join" works as soon as it can.
  const notStarted = view.name === 'prejoin' && info !== null && info.state !== 'active' && info.host !== identity.email;
  useEffect(() => {
    if (!notStarted) return;
    const timer = setInterval(() => void refresh(), 5000);
    return () => clearInterval(timer);
  }, [notStarted, refresh]);

  // Live updates while knocking or inside.
  const live = view.name === 'lobby' || view.name === 'in';
  useEffect(() => {
    if (!live) return;
    const watcher = new MeetingLive({
      client: api,
      meetingId,
      onChange: () => void refresh(),
      onMode: setMode,
      isWaiting: () => viewRef.current.name === 'lobby',
    });
    watcher.start();
    return () => watcher.stop();
  }, [live, meetingId, refresh]);

  const onJoined = (me: Participant) => {
    engaged.current = true;
    leftOnPurpose.current = false;
    if (me.room_token) tokenCache.current = me.room_token;
    void refresh();
  };

  const tokenCache = useRef<string | null>(null);
  const getToken = useCallback(async () => {
    const cached = tokenCache.current;
    tokenCache.current = null;
    if (cached) return cached;
    try {
      const me = await api.status(meetingId);
      return me.room_token;
    } catch (err) {
      setError(err);
      return null;
    }
  }, [meetingId]);

  const leave = async () => {
    try {
      leftOnPurpose.current = true;
      await api.leave(meetingId);
    } catch (err) {
      leftOnPurpose.current = false;
      setError(err);
    }
    await refresh();
  };

  useFrameEvents(view, meetingId, version, () => void leave());

  const again = () => {
    engaged.current = false;
    leftOnPurpose.current = false;
    setView({ name: 'prejoin' });
  };

  usePageTitle(view.name === 'loading' ? `Meeting “${meetingId}”` : view.name === 'failed' ? 'Meeting unavailable' : null);

  return (
    <>
      {view.name !== 'in' && view.name !== 'failed' && <ErrorMessage error={error} />}
      {view.name === 'loading' && <p className="muted" role="status">Loading the meeting…</p>}
      {view.name === 'failed' && (
        <Page title="The meeting could not be loaded">
          <ErrorMessage error={error} />
          <div className="row">
            <button type="button" onClick={() => { setView({ name: 'loading' }); void refresh(); }}>
              Try again
            </button>
          </div>
        </Page>
      )}
      {view.name === 'prejoin' && <PreJoin meetingId={meetingId} info={info} missing={missing} identity={identity} onJoined={onJoined} />}
      {view.name === 'lobby' && info && <Lobby info={info} mode={mode} onCancel={leave} />}
      {view.name === 'in' && info && info.your_status && (
        <InMeeting info={info} me={info.your_status} identity={identity} version={version} mode={mode} getToken={getToken} onLeave={leave} onChanged={refresh} pageError={error} />
      )}
      {view.name === 'outcome' && <Outcome kind={view.kind} meetingId={meetingId} onAgain={again} />}
    </>
  );
}
