import { useEffect } from 'react';

/** The tab's title for the screen shown: "<screen> · Meetings". */
export function usePageTitle(title: string | null): void {
  useEffect(() => {
    if (title !== null) document.title = title ? `${title} · Meetings` : 'Meetings';
  }, [title]);
}
