import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { MeetingInfo, Participant } from 'meeting-client';
import type { Call } from 'media-client';
import { api } from '../../api';
import { CallStage, type KnownPerson } from '../../call/call-stage';
import type { Identity } from '../../identity';
import type { LiveMode } from '../../live/meeting-live';
import { meetingLink } from '../../router';
import { askNotificationsOnce, notifyKnock, playKnockSound } from '../../ui/alerts';
import { ErrorMessage } from '../../ui/components';
import { useConfirm } from '../../ui/confirm';
import { Icon } from '../../ui/icons';
import { usePageTitle } from '../../ui/page-title';
import { nameFor, personName } from '../../ui/people';
import { abilitiesOf } from '../host-panel/abilities';
import { BusyButton, KnockToasts, PeoplePanel, type Act } from '../host-panel/host-panel';
import { liveHint } from '../lobby/lobby';

let mediaServerUrl: Promise<string> | undefined;
function getMediaServerUrl(): Promise<string> {
  mediaServerUrl ??= api.clientConfig().then((c) => c.media_server_url);
  return mediaServerUrl;
}

/**
 * Inside the meeting: the call fills the screen; the control bar opens the people panel
 * (waiting room, participants, settings) and leaves; knocks show as toasts wherever the host is.
 */
export function InMeeting({ info, me, identity, version, mode, getToken, onLeave, onChanged, screenShareControl, pageError }: {
  info: MeetingInfo;
  me: Participant;
  identity: Identity;
  version: number;
  mode: LiveMode;
  getToken(): Promise<string | null>;
  onLeave(): void;
  /** Re-reads the meeting (resolves once the screen has the new state). */
  onChanged(): void | Promise<void>;
  /** An error of the meeting page (leaving, a token) to show here. */
  pageError?: unknown;
  /** Screen sharing's control-bar button (see CallStage). */
  screenShareControl?: (call: Call) => React.ReactNode;
}) {
  const confirm = useConfirm();
  const [people, setPeople] = useState<Participant[] | null>(null);
  const [waiting, setWaiting] = useState<Participant[] | null>(null);
  const [mediaUrl, setMediaUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [panelOpen, setPanelOpen] = useState(false);
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const [copied, setCopied] = useState<string | null>(null);
  const known = useRef<Set<string> | null>(null);
  const peopleButton = useRef<HTMLButtonElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  // The screen replaced the pre-join or the lobby: focus lands on its title.
  useEffect(() => titleRef.current?.focus(), []);
  const id = info.meeting_id;
  const abilities = abilitiesOf(info, me, identity.email);

  useEffect(() => {
    getMediaServerUrl().then(setMediaUrl, (err: unknown) => {
      mediaServerUrl = undefined;
      setError(err);
    });
  }, []);

  useEffect(() => {
    api.participants(id).then(setPeople, (err: unknown) => setError(err));
  }, [id, version]);

  // The waiting room, re-read on every change; new knocks alert the host and co-hosts.
  const manageWaiting = abilities.manageWaiting;
  const alerting = abilities.hostLike;
  useEffect(() => {
    if (!manageWaiting) {
      setWaiting(null);
      return;
    }
    api.waiting(id).then(
      (room) => {
        const previous = known.current;
        const fresh = previous === null ? [] : room.waiting.filter((p) => !previous.has(p.email));
        known.current = new Set(room.waiting.map((p) => p.email));
        setWaiting(room.waiting);
        if (fresh.length > 0 && alerting) {
          playKnockSound();
          if (document.hidden) notifyKnock(fresh.map(personName), id);
          else askNotificationsOnce();
        }
      },
      (err: unknown) => setError(err),
    );
  }, [id, version, manageWaiting, alerting]);

  const waitingCount = waiting?.length ?? 0;
  usePageTitle(alerting && waitingCount > 0 ? `(${waitingCount}) waiting · Meeting “${id}”` : `Meeting “${id}”`);

  const act: Act = useCallback(
    async (key, action, done) => {
      setBusy((b) => new Set(b).add(key));
      setError(null);
      let ok = false;
      try {
        await action();
        ok = true;
      } catch (err) {
        setError(err);
      }
      // Busy until the screen shows the server's new state (a checkbox turns only then).
      await Promise.resolve(onChanged()).catch(() => {});
      if (ok) setNotice(done);
      setBusy((b) => {
        const next = new Set(b);
        next.delete(key);
        return next;
      });
    },
    [onChanged],
  );

  const togglePanel = () => {
    if (!panelOpen && abilities.manageWaiting) askNotificationsOnce();
    setPanelOpen(!panelOpen);
  };
  const closePanel = () => {
    setPanelOpen(false);
    peopleButton.current?.focus();
  };

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(meetingLink(id));
      setCopied('Link copied.');
    } catch {
      setCopied('Copying is blocked here: select the link and copy it.');
    }
  };

  const hostLeaving = me.is_host && info.host_leave_policy !== 'transfer';
  const leave = async () => {
    if (hostLeaving && !(await confirm({ title: 'Leave and end the meeting?', body: 'You are the host: when you leave, the meeting ends for everyone.', confirmLabel: 'Leave and end' }))) return;
    onLeave();
  };
  const endForAll = async () => {
    if (await confirm({ title: 'End the meeting for everyone?', body: 'Everyone in the call and in the waiting room is let go.', confirmLabel: 'End for everyone' })) {
      await act('end', () => api.endMeeting(id), 'Meeting ended.');
    }
  };

  const names = useMemo(() => {
    const map = new Map<string, KnownPerson>();
    for (const p of people ?? []) map.set(p.email, { name: personName(p), role: p.role ?? (p.is_host ? 'host' : 'attendee') });
    return map;
  }, [people]);

  const toasts = alerting && !panelOpen ? (waiting ?? []).filter((p) => !dismissed.has(p.email)) : [];

  return (
    <div className="meeting-screen">
      <header className="meeting-header">
        <div className="meeting-title">
          <h1 tabIndex={-1} ref={titleRef}>
            Meeting “{id}”
          </h1>
          <span className="badge live">live</span>
          <span className="muted hide-narrow live-hint">{liveHint(mode)}</span>
        </div>
        <div className="invite">
          <label htmlFor="meeting-link" className="visually-hidden">
            Invite link
          </label>
          <input id="meeting-link" className="hide-narrow" readOnly value={meetingLink(id)} onFocus={(e) => e.target.select()} />
          <button type="button" className="secondary small" onClick={() => void copyLink()}>
            <Icon name="link" size={18} /> Copy link
          </button>
          {copied && (
            <span className="copied" role="status">
              {copied}
            </span>
          )}
        </div>
      </header>
      {(error ?? pageError ?? null) !== null && !panelOpen && (
        <div className="meeting-error">
          <ErrorMessage error={error ?? pageError} />
        </div>
      )}
      {mediaUrl ? (
        <CallStage
          mediaServerUrl={mediaUrl}
          getToken={getToken}
          onServerClosed={onChanged}
          selfName={nameFor(identity.email, me.display_name ?? identity.name)}
          people={names}
          screenShareControl={screenShareControl}
          multipleScreenShares={info.multiple_screen_shares ?? false}
          panel={
            panelOpen && (
              <PeoplePanel
                info={info}
                me={me}
                myEmail={identity.email}
                people={people}
                waiting={waiting}
                abilities={abilities}
                busy={busy}
                act={act}
                notice={notice}
                error={error}
                onClose={closePanel}
              />
            )
          }
          controls={
            <>
              <button
                ref={peopleButton}
                type="button"
                className={`control${panelOpen ? ' active' : ''}`}
                aria-expanded={panelOpen}
                aria-controls="people-panel"
                onClick={togglePanel}
              >
                <Icon name="people" />
                <span>People</span>
                {abilities.manageWaiting && waitingCount > 0 && (
                  <span className="count-badge" data-testid="waiting-count">
                    {waitingCount}
                    <span className="visually-hidden"> waiting</span>
                  </span>
                )}
              </button>
              {abilities.control && (
                <BusyButton busy={busy} k="end" className="control danger end" label="End meeting for everyone" onClick={() => void endForAll()}>
                  <Icon name="close" />
                  <span>End</span>
                </BusyButton>
              )}
              <button type="button" className="control danger" onClick={() => void leave()} aria-label={hostLeaving ? 'Leave and end the meeting' : 'Leave'}>
                <Icon name="leave" />
                <span>Leave</span>
              </button>
            </>
          }
        />
      ) : (
        <section className="call-stage" aria-label="Call">
          <p className="stage-alone">Preparing the call…</p>
        </section>
      )}
      {toasts.length > 0 && (
        <KnockToasts
          info={info}
          waiting={toasts}
          total={waitingCount}
          busy={busy}
          act={act}
          onOpenPanel={() => setPanelOpen(true)}
          onDismiss={(email) => setDismissed((d) => new Set(d).add(email))}
        />
      )}
    </div>
  );
}
