import { useState, type FormEvent } from 'react';
import type { MeetingInfo, Participant } from 'meeting-client';
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

  const submit = async (e: FormEvent) => {
    e.preventDefault();
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
      setError(err);
      setBusy(false);
    }
  };

  usePageTitle(`Join “${meetingId}”`);
  // A join link says what the join does (host, co-host or knock): one neutral button.
  const action = identity.kind === 'link' ? 'Join the meeting' : isHost || missing ? (info?.state === 'active' ? 'Rejoin as host' : 'Start the meeting') : 'Ask to join';
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
        <button type="submit" disabled={busy}>
          {action}
        </button>
      </form>
      </div>
    </section>
  );
}
