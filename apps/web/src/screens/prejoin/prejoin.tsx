import { useEffect, useRef, useState, type FormEvent } from 'react';
import { MeetingApiError, type MeetingInfo, type Participant } from 'meeting-client';
import { api } from '../../api';
import { CameraPreview } from '../../call/camera-preview';
import { saveDisplayName, savedDisplayName, type Identity } from '../../identity';
import { meetingLink } from '../../router';
import { ErrorMessage, Field } from '../../ui/components';
import { usePageTitle } from '../../ui/page-title';
import { nameFor } from '../../ui/people';

/** Before joining: the camera and microphone, the name others will see, and the password when the meeting has one. */
export function PreJoin({ meetingId, info, missing, identity, onJoined }: {
  meetingId: string;
  info: MeetingInfo | null;
  missing: boolean;
  identity: Identity;
  onJoined(me: Participant): void;
}) {
  const [name, setName] = useState(identity.name ?? savedDisplayName() ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const isHost = info?.host === identity.email;
  const needsPassword = info?.has_password === true && !isHost;
  const notStarted = !isHost && !missing && info !== null && info.state !== 'active';
  // Early knock off and the host not there yet: knock by ourselves as soon as the meeting starts.
  const [knockWhenStarted, setKnockWhenStarted] = useState(false);

  const join = async () => {
    setBusy(true);
    setError(null);
    try {
      saveDisplayName(name.trim());
      const me = await api.join(meetingId, {
        ...(name.trim() ? { display_name: name.trim() } : {}),
        ...(needsPassword ? { password } : {}),
      });
      onJoined(me);
    } catch (err) {
      setBusy(false);
      // The host ended it again just before we knocked: keep waiting for them.
      if (err instanceof MeetingApiError && err.code === 'MEETING_NOT_ACTIVE' && !info?.early_knock) setKnockWhenStarted(true);
      else setError(err);
    }
  };
  const joinRef = useRef(join);
  joinRef.current = join;

  usePageTitle(`Join “${meetingId}”`);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // A join link decides what the join does (a host link starts the meeting): it never waits here.
    if (notStarted && !info?.early_knock && identity.kind !== 'link') {
      setError(null);
      setKnockWhenStarted(true);
      return;
    }
    void join();
  };

  // The meeting page looks at the meeting every few seconds while it has not started.
  useEffect(() => {
    if (info?.state !== 'active') return;
    // A "not started" error from before is stale now.
    setError((e: unknown) => (e instanceof MeetingApiError && e.code === 'MEETING_NOT_ACTIVE' ? null : e));
    if (knockWhenStarted) {
      setKnockWhenStarted(false);
      void joinRef.current();
    }
  }, [info?.state, knockWhenStarted]);

  // A join link says what the join does (host, co-host or knock): one neutral button.
  const action =
    identity.kind === 'link'
      ? 'Join the meeting'
      : isHost || missing
      ? info?.state === 'active'
        ? 'Rejoin as host'
        : 'Start the meeting'
      : notStarted
        ? info?.early_knock
          ? 'Wait for the host'
          : 'Join when the host starts'
        : 'Ask to join';
  return (
    <section className="page prejoin" aria-labelledby="prejoin-title">
      <CameraPreview name={name.trim()} />
      <div className="prejoin-form">
      <h1 id="prejoin-title">Join “{meetingId}”</h1>
      {missing ? (
        <p>There is no meeting with this id yet. Starting it makes you its host.</p>
      ) : isHost ? (
        <p>You are the host. {info?.state === 'active' ? 'The meeting is live.' : 'Starting it lets people knock.'}</p>
      ) : (
        <p>
          Hosted by <strong>{info ? nameFor(info.host, info.host_display_name) : ''}</strong>.{' '}
          {info?.state === 'active'
            ? 'The host will be asked to let you in.'
            : info?.early_knock
              ? 'The host has not started this meeting yet; you can wait for them in the queue.'
              : 'The host has not started this meeting yet; this page updates when they do.'}
        </p>
      )}
      {isHost && (
        <div className="field">
          <label htmlFor="share-link">Link to share</label>
          <div className="link-box">
            <input id="share-link" readOnly value={meetingLink(meetingId)} onFocus={(e) => e.target.select()} />
          </div>
        </div>
      )}
      <form onSubmit={submit}>
        <Field label="Your name" name="display-name" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        {needsPassword && (
          <Field
            label="Meeting password"
            name="password"
            type="password"
            autoComplete="off"
            required
            maxLength={1024}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
        <ErrorMessage error={error} />
        {knockWhenStarted ? (
          <div className="row">
            <p role="status" data-testid="knock-when-started">
              You will ask to join as soon as the host starts the meeting.
            </p>
            <button type="button" className="secondary" onClick={() => setKnockWhenStarted(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="submit" disabled={busy}>
            {action}
          </button>
        )}
      </form>
      </div>
    </section>
  );
}
