import { useEffect, useRef, useState } from 'react';
import type { MeetingInfo, Participant, UpdateMeetingRequest } from 'meeting-client';
import { api } from '../../api';
import { notificationsAvailable, notifyKnock, playKnockSound } from '../../ui/alerts';
import { Checkbox, ErrorMessage, Page, StatusMessage } from '../../ui/components';

/** The meeting controls (EXTENSIONS.md §C) exist on this server: the meeting carries its settings. */
export function hasControls(info: MeetingInfo): boolean {
  return info.waiting_room_enabled !== undefined;
}

export function isHostLike(me: Participant): boolean {
  return me.is_host || me.role === 'host' || me.role === 'cohost';
}

/** The seed lets any admitted participant manage the waiting room; `admit_policy: hosts` narrows it. */
export function canManageWaitingRoom(info: MeetingInfo, me: Participant): boolean {
  if (me.status !== 'admitted') return false;
  return info.admit_policy === 'hosts' ? isHostLike(me) : true;
}

/** The host's panel: the live knock list with sound and notification, admit/reject/admit-all, settings, end. */
export function HostPanel({ info, me, version, onChanged }: { info: MeetingInfo; me: Participant; version: number; onChanged(): void }) {
  const [waiting, setWaiting] = useState<Participant[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [permission, setPermission] = useState(notificationsAvailable() ? Notification.permission : 'denied');
  const known = useRef<Set<string> | null>(null);

  useEffect(() => {
    api.waiting(info.meeting_id).then(
      (room) => {
        const previous = known.current;
        const fresh = previous === null ? [] : room.waiting.filter((p) => !previous.has(p.email));
        known.current = new Set(room.waiting.map((p) => p.email));
        setWaiting(room.waiting);
        setError(null);
        if (fresh.length > 0) {
          playKnockSound();
          notifyKnock(fresh.map((p) => p.display_name ?? p.email), info.meeting_id);
        }
      },
      (err: unknown) => setError(err),
    );
  }, [info.meeting_id, version]);

  const act = async (action: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await action();
      setNotice(done);
    } catch (err) {
      setError(err);
    }
    onChanged();
  };

  const controls = hasControls(info) && isHostLike(me);
  const banOn = controls;

  return (
    <Page title={isHostLike(me) ? 'Host controls' : 'Let people in'} wide level={2}>
      <section aria-labelledby="knock-title">
        <h3 id="knock-title">Waiting room{waiting ? ` (${waiting.length})` : ''}</h3>
        <ErrorMessage error={error} />
        {notice && <StatusMessage>{notice}</StatusMessage>}
        {notificationsAvailable() && permission === 'default' && (
          <button
            type="button"
            className="secondary"
            onClick={() => void Notification.requestPermission().then(setPermission, () => {})}
          >
            Notify me when someone knocks
          </button>
        )}
        {waiting === null ? (
          <p className="muted">Loading…</p>
        ) : waiting.length === 0 ? (
          <p className="muted">Nobody is waiting.</p>
        ) : (
          <>
            <ul className="people" data-testid="waiting" aria-live="polite">
              {waiting.map((p) => {
                const who = p.display_name ?? p.email;
                return (
                  <li key={p.email}>
                    <span>
                      <strong>{who}</strong> is asking to join <span className="muted hide-narrow">{p.display_name ? `(${p.email})` : ''}</span>
                    </span>
                    <span className="row">
                      <button type="button" onClick={() => act(() => api.admit(info.meeting_id, p.email), `Let ${who} in.`)} aria-label={`Admit ${who}`}>
                        Admit
                      </button>
                      <button type="button" className="secondary" onClick={() => act(() => api.reject(info.meeting_id, p.email), `Declined ${who}.`)} aria-label={`Reject ${who}`}>
                        Reject
                      </button>
                      {banOn && (
                        <button
                          type="button"
                          className="danger secondary"
                          onClick={() => act(() => api.reject(info.meeting_id, p.email, { ban: true }), `Banned ${who}.`)}
                          aria-label={`Ban ${who}`}
                        >
                          Ban
                        </button>
                      )}
                    </span>
                  </li>
                );
              })}
            </ul>
            {waiting.length > 1 && (
              <button type="button" onClick={() => act(() => api.admitAll(info.meeting_id), 'Let everyone in.')}>
                Admit all ({waiting.length})
              </button>
            )}
          </>
        )}
      </section>
      {controls && <Settings info={info} onChanged={onChanged} act={act} />}
    </Page>
  );
}

function Settings({ info, act }: { info: MeetingInfo; onChanged(): void; act(a: () => Promise<unknown>, done: string): Promise<void> }) {
  const patch = (p: UpdateMeetingRequest, done: string) => act(() => api.updateMeeting(info.meeting_id, p), done);
  return (
    <section aria-labelledby="settings-title">
      <h3 id="settings-title">Settings</h3>
      <Checkbox
        label="Waiting room"
        hint="Off: people who join are let in at once (guests still wait)."
        checked={info.waiting_room_enabled ?? true}
        onChange={(v) => void patch({ waiting_room_enabled: v }, v ? 'Waiting room on.' : 'Waiting room off.')}
      />
      <Checkbox label="Locked" hint="Nobody new can join." checked={info.locked ?? false} onChange={(v) => void patch({ locked: v }, v ? 'Meeting locked.' : 'Meeting unlocked.')} />
      <Checkbox
        label="Allow guests"
        checked={info.allow_guests ?? false}
        onChange={(v) => void patch({ allow_guests: v }, v ? 'Guests may knock.' : 'Guests may not knock.')}
      />
      <Checkbox
        label="Only hosts admit"
        hint="Off: anyone in the meeting can let people in."
        checked={info.admit_policy === 'hosts'}
        onChange={(v) => void patch({ admit_policy: v ? 'hosts' : 'any_admitted' }, 'Saved.')}
      />
      <Checkbox
        label="Keep the meeting going when the host leaves"
        checked={info.host_leave_policy === 'transfer'}
        onChange={(v) => void patch({ host_leave_policy: v ? 'transfer' : 'end_meeting' }, 'Saved.')}
      />
      <Checkbox
        label="Let people wait for me before I start"
        hint="Off: people who come before the meeting starts are asked to come back (the page knocks for them once it starts)."
        checked={info.early_knock ?? false}
        onChange={(v) => void patch({ early_knock: v }, v ? 'People may wait before the meeting starts.' : 'Saved.')}
      />
      <button
        type="button"
        className="danger"
        onClick={() => {
          if (window.confirm('End the meeting for everyone?')) void act(() => api.endMeeting(info.meeting_id), 'Meeting ended.');
        }}
      >
        End meeting for everyone
      </button>
    </section>
  );
}

/** Per-participant actions for hosts and co-hosts: remove, ban, co-host, make host. */
export function ParticipantControls({ info, me, person, onDone, onError }: {
  info: MeetingInfo;
  me: Participant;
  person: Participant;
  onDone(): void;
  onError(err: unknown): void;
}) {
  const who = person.display_name ?? person.email;
  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (err) {
      onError(err);
    }
    onDone();
  };
  const id = info.meeting_id;
  if (person.is_host) return null;
  return (
    <span className="row">
      <button type="button" className="secondary" onClick={() => run(() => api.remove(id, person.email))} aria-label={`Remove ${who}`}>
        Remove
      </button>
      <button type="button" className="danger secondary" onClick={() => run(() => api.remove(id, person.email, { ban: true }))} aria-label={`Ban ${who}`}>
        Ban
      </button>
      {me.is_host && !person.email.startsWith('guest-') && (
        <>
          <button
            type="button"
            className="secondary"
            onClick={() => run(() => api.setRole(id, person.email, person.role === 'cohost' ? 'attendee' : 'cohost'))}
            aria-label={person.role === 'cohost' ? `Make ${who} an attendee` : `Make ${who} a co-host`}
          >
            {person.role === 'cohost' ? 'Remove co-host' : 'Make co-host'}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              if (window.confirm(`Make ${who} the host? You become a co-host.`)) void run(() => api.transferHost(id, person.email));
            }}
            aria-label={`Make ${who} the host`}
          >
            Make host
          </button>
        </>
      )}
    </span>
  );
}
