import { useEffect, useState } from 'react';

/**
 * Hash routing (`#/admin/users?org=<uuid>`): the server serves index.html for `/`, `/tenant/<org>`
 * and `/provider`, and everything after `#` stays in the browser.
 */
export interface Route {
  /** Path segments after `#/`, decoded. */
  segments: string[];
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  return { segments: pathPart.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(queryPart) };
}

/** Set while leaving the current screen would lose something (useLeaveGuard): the question to ask. */
let leaveQuestion: string | null = null;
/** The address of the route on screen, to go back to when the user chooses to stay. */
let shownHref = window.location.href;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const onChange = () => {
      // The browser's Back/Forward (or an edited address) already changed the hash: staying means
      // putting the shown route's address back, without a hashchange of its own.
      if (leaveQuestion !== null && window.location.href !== shownHref && !window.confirm(leaveQuestion)) {
        window.history.pushState(null, '', shownHref);
        return;
      }
      shownHref = window.location.href;
      setRoute(parse(window.location.hash));
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/**
 * While `question` is set, leaving asks first: a route change (Back, Forward) with `question`,
 * a reload or closing the tab with the browser's own "Leave site?" prompt (beforeunload; browsers
 * show their own text). For what cannot be got back, such as an API token's secret shown once.
 */
export function useLeaveGuard(question: string | null): void {
  useEffect(() => {
    if (question === null) return;
    leaveQuestion = question;
    shownHref = window.location.href;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Older Chromium versions ask only when returnValue is set.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      if (leaveQuestion === question) leaveQuestion = null;
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [question]);
}

/** `#/a/b?k=v` from segments and optional query values (empty values dropped). */
export function href(segments: string[], query: Record<string, string | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const qs = q.toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

export function navigate(target: string): void {
  window.location.hash = target;
}
