import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ListMeetingsResponse, MeetingSummary } from 'meeting-types';
import { MeetingApiError } from 'meeting-client';
import { api } from '../../api';
import { createMeetingFields } from '../../features';
import type { Identity } from '../../identity';
import { meetingIdFromInput, meetingPath, navigate } from '../../router';
import { Checkbox, ErrorMessage, Field, Page, StatusMessage } from '../../ui/components';
import { useConfirm } from '../../ui/confirm';
import { usePageTitle } from '../../ui/page-title';

const PAGE_SIZE = 10;

export function Home({ identity, onSignedOut }: { identity: Identity; onSignedOut(): void }) {
  usePageTitle(identity.kind === 'guest' ? 'Join a meeting' : 'Your meetings');
  return (
    <div className="stack">
      {identity.kind === 'guest' ? (
        <Page title="You are a guest">
          <p>Guests can join meetings they are invited to, but cannot start meetings. Open the link you were given, or sign out and sign in.</p>
        </Page>
      ) : (
        <>
          <MyMeetings onSignedOut={onSignedOut} />
          <CreateMeeting />
        </>
      )}
      <JoinById level={2} />
    </div>
  );
}

function MyMeetings({ onSignedOut }: { onSignedOut(): void }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ListMeetingsResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const confirm = useConfirm();
  const [deleting, setDeleting] = useState<string | null>(null);

  const load = useCallback(() => {
    api.listMeetings({ limit: PAGE_SIZE, offset }).then(
      (p) => {
        setPage(p);
        setError(null);
      },
      (err: unknown) => {
        if (err instanceof MeetingApiError && err.code === 'UNAUTHORIZED') onSignedOut();
        setError(err);
      },
    );
  }, [offset, onSignedOut]);
  useEffect(load, [load]);

  const remove = async (m: MeetingSummary) => {
    if (!(await confirm({ title: `Delete the meeting “${m.meeting_id}”?`, body: 'Its link stops working.', confirmLabel: 'Delete' }))) return;
    setDeleting(m.meeting_id);
    try {
      await api.deleteMeeting(m.meeting_id);
      setNotice(`Deleted "${m.meeting_id}".`);
      if (page && page.meetings.length === 1 && offset > 0) setOffset(Math.max(0, offset - PAGE_SIZE));
      else load();
    } catch (err) {
      setError(err);
    }
    setDeleting(null);
  };

  return (
    <Page title="Your meetings" wide>
      <ErrorMessage error={error} />
      {notice && <StatusMessage>{notice}</StatusMessage>}
      {page === null ? (
        <p className="muted">Loading…</p>
      ) : page.total === 0 ? (
        <p className="muted">No meetings yet. Create one below.</p>
      ) : (
        <>
          <div className="table-scroll" role="region" aria-label="Your meetings, scrollable" tabIndex={0}>
          <table>
            <caption className="visually-hidden">Your meetings</caption>
            <thead>
              <tr>
                <th scope="col">Meeting</th>
                <th scope="col">State</th>
                <th scope="col">In the meeting</th>
                <th scope="col">Waiting</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.meetings.map((m) => (
                <tr key={m.meeting_id}>
                  <td>
                    <a href={meetingPath(m.meeting_id)} onClick={(e) => { e.preventDefault(); navigate(meetingPath(m.meeting_id)); }}>
                      {m.meeting_id}
                    </a>
                    {m.has_password && <span className="badge">password</span>}
                  </td>
                  <td>
                    <span className={m.state === 'active' ? 'badge live' : 'badge'}>{stateLabel(m.state)}</span>
                  </td>
                  <td>{m.state === 'active' ? m.participant_count : '—'}</td>
                  <td>{m.state === 'active' ? m.waiting_count : '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="danger secondary"
                      onClick={() => remove(m)}
                      aria-label={`Delete ${m.meeting_id}`}
                      disabled={deleting === m.meeting_id}
                      aria-busy={deleting === m.meeting_id || undefined}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          {page.total > PAGE_SIZE && (
          <nav className="row" aria-label="Pages of meetings">
            <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              Previous
            </button>
            <span className="muted">
              {offset + 1}–{offset + page.meetings.length} of {page.total}
            </span>
            <button type="button" className="secondary" disabled={offset + PAGE_SIZE >= page.total} onClick={() => setOffset(offset + PAGE_SIZE)}>
              Next
            </button>
          </nav>
          )}
        </>
      )}
    </Page>
  );
}

function stateLabel(state: MeetingSummary['state']): string {
  return state === 'active' ? 'live' : state === 'idle' ? 'not started' : 'ended';
}

function CreateMeeting() {
  const [fields, setFields] = useState<Set<string>>(new Set());
  const [meetingId, setMeetingId] = useState('');
  const [password, setPassword] = useState('');
  const [waitingRoom, setWaitingRoom] = useState(true);
  const [allowGuests, setAllowGuests] = useState(false);
  const [locked, setLocked] = useState(false);
  const [maxParticipants, setMaxParticipants] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    void createMeetingFields().then(setFields);
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Parameters<typeof api.createMeeting>[0] = {};
      if (meetingId.trim()) body.meeting_id = meetingId.trim();
      if (password) body.password = password;
      if (fields.has('waiting_room_enabled')) body.waiting_room_enabled = waitingRoom;
      if (fields.has('allow_guests')) body.allow_guests = allowGuests;
      if (fields.has('locked') && locked) body.locked = true;
      if (fields.has('max_participants') && maxParticipants) body.max_participants = Number(maxParticipants);
      const created = await api.createMeeting(body);
      navigate(meetingPath(created.meeting_id));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Page title="New meeting" level={2}>
      <form onSubmit={submit}>
        <Field
          label="Meeting id (optional)"
          name="meeting-id"
          hint="Letters, digits, - and _. Leave empty for a generated id."
          pattern="[A-Za-z0-9_\-]{1,255}"
          maxLength={255}
          value={meetingId}
          onChange={(e) => setMeetingId(e.target.value)}
        />
        <Field
          label="Password (optional)"
          name="meeting-password"
          type="password"
          autoComplete="new-password"
          hint="Attendees must type it to knock."
          maxLength={1024}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {fields.has('waiting_room_enabled') && (
          <Checkbox label="Waiting room" hint="Attendees knock and wait for you to let them in." checked={waitingRoom} onChange={setWaitingRoom} />
        )}
        {fields.has('allow_guests') && <Checkbox label="Allow guests (no account)" checked={allowGuests} onChange={setAllowGuests} />}
        {fields.has('locked') && <Checkbox label="Locked (nobody new can join)" checked={locked} onChange={setLocked} />}
        {fields.has('max_participants') && (
          <Field
            label="Maximum participants (optional)"
            name="max-participants"
            type="number"
            min={2}
            max={1000}
            value={maxParticipants}
            onChange={(e) => setMaxParticipants(e.target.value)}
          />
        )}
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          Create and open
        </button>
      </form>
    </Page>
  );
}

function JoinById({ level }: { level: 1 | 2 }) {
  const [input, setInput] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const id = meetingIdFromInput(input);
    if (id === null) setError('Paste a meeting link (…/m/<id>) or type a meeting id: letters, digits, "-" or "_".');
    else navigate(meetingPath(id));
  };
  return (
    <Page title="Join a meeting" level={level}>
      <form onSubmit={submit}>
        <Field label="Meeting link or id" name="join-id" required value={input} onChange={(e) => setInput(e.target.value)} />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Join</button>
      </form>
    </Page>
  );
}
