import { useEffect, useRef } from 'react';
import type { MeetingInfo, Participant, UpdateMeetingRequest } from 'meeting-client';
import { mayHoldRole } from 'meeting-types/permissions';
import { api } from '../../api';
import { Checkbox, ErrorMessage, StatusMessage } from '../../ui/components';
import { useConfirm } from '../../ui/confirm';
import { Icon } from '../../ui/icons';
import { avatarColour, initials, isGuestIdentity, personName } from '../../ui/people';
import type { Abilities } from './abilities';

/** Runs a server action under a busy key; says what happened (or the error). */
export type Act = (key: string, action: () => Promise<unknown>, done: string) => Promise<void>;

/**
 * The people panel: who waits (admit, deny, ban, admit all), who is in the meeting (with the
 * host's per-person actions) and the meeting settings. A side panel beside the call; a drawer
 * on a phone.
 */
export function PeoplePanel({ info, me, myEmail, people, waiting, abilities, busy, act, notice, error, onClose }: {
  info: MeetingInfo;
  me: Participant;
  myEmail: string;
  people: Participant[] | null;
  waiting: Participant[] | null;
  abilities: Abilities;
  busy: ReadonlySet<string>;
  act: Act;
  notice: string | null;
  error: unknown;
  onClose(): void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  return (
    <aside
      className="side-panel"
      id="people-panel"
      aria-labelledby="people-panel-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <div className="panel-head">
        <h2 id="people-panel-title" ref={headingRef} tabIndex={-1}>
          People
        </h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close the people panel">
          <Icon name="close" />
        </button>
      </div>
      <div className="panel-body">
        <ErrorMessage error={error} />
        {notice && <StatusMessage>{notice}</StatusMessage>}
        {abilities.manageWaiting && <WaitingList info={info} waiting={waiting} abilities={abilities} busy={busy} act={act} />}
        <section aria-labelledby="in-meeting-title">
          <h3 id="in-meeting-title">In the meeting{people ? ` (${people.length})` : ''}</h3>
          {people === null ? (
            <p className="muted">Loading…</p>
          ) : (
            <ul className="people" data-testid="participants">
              {people.map((p) => (
                <PersonRow key={p.email} info={info} me={me} person={p} isMe={p.email === myEmail} abilities={abilities} busy={busy} act={act} />
              ))}
            </ul>
          )}
        </section>
        {abilities.control && <Settings info={info} busy={busy} act={act} />}
      </div>
    </aside>
  );
}

function PersonLabel({ person, you }: { person: Participant; you?: boolean }) {
  const name = personName(person);
  const connected = (person as Participant & { connected?: boolean }).connected;
  return (
    <span className="person">
      <span className="avatar small" aria-hidden="true" style={{ background: avatarColour(person.email) }}>
        {initials(name)}
      </span>
      <span>
        <span className="name">
          {name}
          {you && ' (you)'}
        </span>
        {person.is_host ? <span className="badge">host</span> : person.role === 'cohost' ? <span className="badge">co-host</span> : null}
        {isGuestIdentity(person.email) && <span className="badge guest">guest</span>}
        {connected !== undefined && <span className={connected ? 'badge live' : 'badge'}>{connected ? 'connected' : 'not connected'}</span>}
      </span>
    </span>
  );
}

function WaitingList({ info, waiting, abilities, busy, act }: { info: MeetingInfo; waiting: Participant[] | null; abilities: Abilities; busy: ReadonlySet<string>; act: Act }) {
  const confirm = useConfirm();
  const id = info.meeting_id;
  return (
    <section aria-labelledby="knock-title">
      <h3 id="knock-title">Waiting room{waiting ? ` (${waiting.length})` : ''}</h3>
      {waiting === null ? (
        <p className="muted">Loading…</p>
      ) : waiting.length === 0 ? (
        <p className="muted">Nobody is waiting.</p>
      ) : (
        <>
          <ul className="people" data-testid="waiting">
            {waiting.map((p) => {
              const who = personName(p);
              return (
                <li key={p.email}>
                  <PersonLabel person={p} />
                  <span className="row actions">
                    <BusyButton busy={busy} k={`admit:${p.email}`} onClick={() => act(`admit:${p.email}`, () => api.admit(id, p.email), `Let ${who} in.`)} label={`Admit ${who}`}>
                      Admit
                    </BusyButton>
                    <BusyButton busy={busy} k={`deny:${p.email}`} className="secondary" onClick={() => act(`deny:${p.email}`, () => api.reject(id, p.email), `Declined ${who}.`)} label={`Deny ${who}`}>
                      Deny
                    </BusyButton>
                    {abilities.remove && (
                      <BusyButton
                        busy={busy}
                        k={`ban:${p.email}`}
                        className="danger secondary"
                        label={`Ban ${who}`}
                        onClick={async () => {
                          if (await confirm({ title: `Ban ${who}?`, body: 'They are turned away and cannot ask to join this meeting again.', confirmLabel: 'Ban' })) {
                            await act(`ban:${p.email}`, () => api.reject(id, p.email, { ban: true }), `Banned ${who}.`);
                          }
                        }}
                      >
                        Ban
                      </BusyButton>
                    )}
                  </span>
                </li>
              );
            })}
          </ul>
          {waiting.length > 1 && (
            <BusyButton busy={busy} k="admit-all" onClick={() => act('admit-all', () => api.admitAll(id), 'Let everyone in.')}>
              Admit all ({waiting.length})
            </BusyButton>
          )}
        </>
      )}
    </section>
  );
}

/** A button that waits for the server: disabled and marked busy while its action runs. */
export function BusyButton({ busy, k, label, className, onClick, children }: {
  busy: ReadonlySet<string>;
  k: string;
  label?: string;
  className?: string;
  onClick(): void;
  children: React.ReactNode;
}) {
  const running = busy.has(k);
  return (
    <button type="button" className={className} aria-label={label} aria-busy={running || undefined} disabled={running} onClick={onClick}>
      {running && <span className="spinner small" aria-hidden="true" />}
      {children}
    </button>
  );
}

function PersonRow({ info, me, person, isMe, abilities, busy, act }: {
  info: MeetingInfo;
  me: Participant;
  person: Participant;
  isMe: boolean;
  abilities: Abilities;
  busy: ReadonlySet<string>;
  act: Act;
}) {
  const confirm = useConfirm();
  const who = personName(person);
  const id = info.meeting_id;
  const guest = isGuestIdentity(person.email);
  const manage = !isMe && !person.is_host && abilities.remove;
  const roles = manage && abilities.assignRoles && me.is_host && mayHoldRole('cohost', guest);
  return (
    <li data-email={person.email} data-connected={(person as Participant & { connected?: boolean }).connected === undefined ? undefined : String((person as Participant & { connected?: boolean }).connected)}>
      <PersonLabel person={person} you={isMe} />
      {manage && (
        <span className="row actions">
          <BusyButton
            busy={busy}
            k={`remove:${person.email}`}
            className="secondary"
            label={`Remove ${who}`}
            onClick={async () => {
              if (await confirm({ title: `Remove ${who} from the meeting?`, body: 'They can ask to join again.', confirmLabel: 'Remove' })) {
                await act(`remove:${person.email}`, () => api.remove(id, person.email), `Removed ${who}.`);
              }
            }}
          >
            Remove
          </BusyButton>
          <BusyButton
            busy={busy}
            k={`ban:${person.email}`}
            className="danger secondary"
            label={`Ban ${who}`}
            onClick={async () => {
              if (await confirm({ title: `Ban ${who}?`, body: 'They leave the meeting and cannot ask to join it again.', confirmLabel: 'Ban' })) {
                await act(`ban:${person.email}`, () => api.remove(id, person.email, { ban: true }), `Banned ${who}.`);
              }
            }}
          >
            Ban
          </BusyButton>
          {roles && (
            <>
              <BusyButton
                busy={busy}
                k={`role:${person.email}`}
                className="secondary"
                label={person.role === 'cohost' ? `Make ${who} an attendee` : `Make ${who} a co-host`}
                onClick={() =>
                  act(`role:${person.email}`, () => api.setRole(id, person.email, person.role === 'cohost' ? 'attendee' : 'cohost'), person.role === 'cohost' ? `${who} is an attendee.` : `${who} is a co-host.`)
                }
              >
                {person.role === 'cohost' ? 'Remove co-host' : 'Make co-host'}
              </BusyButton>
              <BusyButton
                busy={busy}
                k={`host:${person.email}`}
                className="secondary"
                label={`Make ${who} the host`}
                onClick={async () => {
                  if (await confirm({ title: `Make ${who} the host?`, body: 'You become a co-host.', confirmLabel: 'Make host', danger: false })) {
                    await act(`host:${person.email}`, () => api.transferHost(id, person.email), `${who} is the host.`);
                  }
                }}
              >
                Make host
              </BusyButton>
            </>
          )}
        </span>
      )}
    </li>
  );
}

function Settings({ info, busy, act }: { info: MeetingInfo; busy: ReadonlySet<string>; act: Act }) {
  const patch = (key: string, p: UpdateMeetingRequest, done: string) => void act(`setting:${key}`, () => api.updateMeeting(info.meeting_id, p), done);
  return (
    <section aria-labelledby="settings-title">
      <h3 id="settings-title">Settings</h3>
      <Checkbox
        label="Waiting room"
        hint="Off: people who join are let in at once (guests still wait)."
        checked={info.waiting_room_enabled ?? true}
        busy={busy.has('setting:waiting_room')}
        onChange={(v) => patch('waiting_room', { waiting_room_enabled: v }, v ? 'Waiting room on.' : 'Waiting room off.')}
      />
      <Checkbox label="Locked" hint="Nobody new can join." checked={info.locked ?? false} busy={busy.has('setting:locked')} onChange={(v) => patch('locked', { locked: v }, v ? 'Meeting locked.' : 'Meeting unlocked.')} />
      <Checkbox
        label="Allow guests"
        checked={info.allow_guests ?? false}
        busy={busy.has('setting:guests')}
        onChange={(v) => patch('guests', { allow_guests: v }, v ? 'Guests may knock.' : 'Guests may not knock.')}
      />
      <Checkbox
        label="Several people may share their screens at once"
        hint="Off: one person presents at a time."
        checked={info.multiple_screen_shares ?? false}
        busy={busy.has('setting:screens')}
        onChange={(v) => patch('screens', { multiple_screen_shares: v }, v ? 'Several people may share at once.' : 'One person shares at a time.')}
      />
      <Checkbox
        label="Only hosts admit"
        hint="Off: anyone in the meeting can let people in."
        checked={info.admit_policy === 'hosts'}
        busy={busy.has('setting:admit')}
        onChange={(v) => patch('admit', { admit_policy: v ? 'hosts' : 'any_admitted' }, 'Saved.')}
      />
      <Checkbox
        label="Keep the meeting going when the host leaves"
        checked={info.host_leave_policy === 'transfer'}
        busy={busy.has('setting:leave')}
        onChange={(v) => patch('leave', { host_leave_policy: v ? 'transfer' : 'end_meeting' }, 'Saved.')}
      />
    </section>
  );
}

/**
 * Knocks where the host is looking: a toast per person (Admit / Deny), Admit all when more
 * than one waits. Shown while the people panel is closed (the panel lists them itself).
 */
export function KnockToasts({ info, waiting, total, busy, act, onOpenPanel, onDismiss }: {
  info: MeetingInfo;
  /** The knocks to show (not hidden by the host). */
  waiting: Participant[];
  /** Everyone waiting. */
  total: number;
  busy: ReadonlySet<string>;
  act: Act;
  onOpenPanel(): void;
  onDismiss(email: string): void;
}) {
  const id = info.meeting_id;
  const shown = waiting.slice(0, 3);
  return (
    <div className="toasts" role="region" aria-label="Knocks">
      {shown.map((p) => {
        const who = personName(p);
        return (
          <div key={p.email} className="toast" role="status" data-testid="knock-toast">
            <p className="toast-text">
              <strong>{who}</strong>
              {isGuestIdentity(p.email) && <span className="badge guest">guest</span>} is asking to join
            </p>
            <div className="row">
              <BusyButton busy={busy} k={`admit:${p.email}`} label={`Admit ${who}`} onClick={() => act(`admit:${p.email}`, () => api.admit(id, p.email), `Let ${who} in.`)}>
                Admit
              </BusyButton>
              <BusyButton busy={busy} k={`deny:${p.email}`} className="secondary" label={`Deny ${who}`} onClick={() => act(`deny:${p.email}`, () => api.reject(id, p.email), `Declined ${who}.`)}>
                Deny
              </BusyButton>
              <button type="button" className="icon-button" aria-label={`Hide the knock of ${who}`} onClick={() => onDismiss(p.email)}>
                <Icon name="close" />
              </button>
            </div>
          </div>
        );
      })}
      {total > 1 && (
        <div className="toast summary">
          <p className="toast-text">{total} people are waiting</p>
          <div className="row">
            <BusyButton busy={busy} k="admit-all" onClick={() => act('admit-all', () => api.admitAll(id), 'Let everyone in.')}>
              Admit all ({total})
            </BusyButton>
            <button type="button" className="secondary" onClick={onOpenPanel}>
              See everyone
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
