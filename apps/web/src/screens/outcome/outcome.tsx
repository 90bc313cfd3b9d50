import { navigate } from '../../router';
import { Page } from '../../ui/components';
import { usePageTitle } from '../../ui/page-title';

export type OutcomeKind = 'rejected' | 'banned' | 'removed' | 'ended' | 'left' | 'deleted';

const TEXT: Record<OutcomeKind, { title: string; body: string; again?: string }> = {
  rejected: { title: 'The host did not let you in', body: 'Your request to join was declined.', again: 'Ask again' },
  banned: { title: 'You cannot join this meeting', body: 'The host has banned you from this meeting.' },
  removed: { title: 'You were removed from the meeting', body: 'The host removed you from the meeting.', again: 'Ask to join again' },
  ended: { title: 'The meeting has ended', body: 'The host ended the meeting for everyone.' },
  left: { title: 'You left the meeting', body: 'You are no longer in the meeting.', again: 'Rejoin' },
  deleted: { title: 'This meeting no longer exists', body: 'The host deleted the meeting.' },
};

/** How a visit ended, said plainly. */
export function Outcome({ kind, meetingId, onAgain }: { kind: OutcomeKind; meetingId: string; onAgain(): void }) {
  const text = TEXT[kind];
  usePageTitle(text.title);
  return (
    <Page title={text.title} announce>
      <p role="status" data-outcome={kind}>
        {text.body} <span className="muted">(Meeting “{meetingId}”.)</span>
      </p>
      <div className="row">
        {text.again && (
          <button type="button" onClick={onAgain}>
            {text.again}
          </button>
        )}
        <button type="button" className="secondary" onClick={() => navigate('/')}>
          Back to your meetings
        </button>
      </div>
    </Page>
  );
}
