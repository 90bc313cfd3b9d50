import { useEffect, useRef } from 'react';
import { api } from '../api';
import { isFramed, onLeaveRequest, tellParent } from './frame-bridge';

type ViewName = 'loading' | 'failed' | 'prejoin' | 'lobby' | 'in' | 'outcome';
const OUTCOME_EVENTS = { ended: 'ended', deleted: 'ended', left: 'left', removed: 'removed', rejected: 'rejected', banned: 'rejected' } as const;

/**
 * What the meeting page shows, told to an embedding page in order: `waiting` (in the lobby),
 * `admitted` then `joined` (in the call), `participants` with the count while in, then how it
 * ended. The parent's `leave()` leaves the meeting.
 */
export function useFrameEvents(view: { name: ViewName; kind?: string }, meetingId: string, version: number, leave: () => void): void {
  const last = useRef<string | null>(null);
  const count = useRef<number | null>(null);
  const leaveRef = useRef(leave);
  leaveRef.current = leave;

  useEffect(() => {
    onLeaveRequest(() => leaveRef.current());
    return () => onLeaveRequest(null);
  }, []);

  const key = view.name === 'outcome' ? `outcome:${view.kind}` : view.name;
  useEffect(() => {
    if (last.current === key) return;
    last.current = key;
    if (view.name === 'lobby') tellParent('waiting');
    else if (view.name === 'in') {
      tellParent('admitted');
      tellParent('joined');
      count.current = null;
    } else if (view.name === 'outcome') {
      const type = OUTCOME_EVENTS[view.kind as keyof typeof OUTCOME_EVENTS];
      if (type !== undefined) tellParent(type);
    }
  }, [key, view.name, view.kind]);

  // The page refreshes (`version`) on every live change: count who is in then.
  const inCall = view.name === 'in';
  useEffect(() => {
    if (!inCall || !isFramed()) return;
    let cancelled = false;
    api.participants(meetingId).then(
      (list) => {
        if (cancelled || !Array.isArray(list) || list.length === count.current) return;
        count.current = list.length;
        tellParent('participants', { count: list.length });
      },
      () => {
        // Not allowed or gone: the page itself shows why.
      },
    );
    return () => {
      cancelled = true;
    };
  }, [inCall, meetingId, version]);
}
