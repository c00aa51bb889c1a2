/**
 * The Plotbox web UI: a shell (top bar with navigation and the signed-in user), hash routing and
 * the sign-in flow; each page lives in `pages/`. No inline script or event attribute anywhere.
 */
import { api, ApiFailure, setSignedOutHandler, type Me } from './api.ts';
import { h, mount } from './dom.ts';
import { plainText, roleLabel } from './format.ts';
import { currentLocation, match, type PageContext, type Route } from './router.ts';
import { renderExpiredPassword, renderSignIn } from './pages/sign-in.ts';
import { setSessionEndedHandler } from './session.ts';
import { ROUTES } from './routes.ts';

const main = document.getElementById('main') as HTMLElement;
const top = document.getElementById('top') as HTMLElement;
let me: Me | null = null;

function navigate(path: string): void {
  location.hash = `#${path}`;
}

function setTitle(title: string): void {
  document.title = `${title} — Plotbox`;
}

function drawTop(): void {
  if (me === null) {
    mount(top, h('span', { class: 'brand' }, 'Plotbox'));
    return;
  }
  const links: [string, string][] = [['#/', 'Projects']];
  if (me.user.systemRole === 'admin') links.push(['#/admin/users', 'Users'], ['#/admin/groups', 'Groups'], ['#/admin/audit', 'Audit log']);
  links.push(['#/account', 'Account']);
  mount(
    top,
    h('a', { class: 'brand', href: '#/' }, 'Plotbox'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      h(
        'ul',
        {},
        links.map(([href, text]) => h('li', {}, h('a', { href }, text))),
      ),
    ),
    h('span', { class: 'who' }, `${me.user.displayName} (${roleLabel(me.user.systemRole)})`),
    h('button', { type: 'button', class: 'link', onclick: () => void signOut() }, 'Sign out'),
  );
}

async function signOut(): Promise<void> {
  // Leaving with unsaved work asks first, like any other navigation.
  if (leaveGuard !== null && !(await leaveGuard())) return;
  leavePage();
  await api('POST', '/api/auth/logout').catch(() => undefined);
  me = null;
  drawTop();
  navigate('/login');
}

async function loadMe(): Promise<Me | null> {
  try {
    return await api<Me>('GET', '/api/me');
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) return null;
    throw err;
  }
}

// ---------------------------------------------------------------- leaving a page

let cleanups: (() => void)[] = [];
let leaveGuard: (() => Promise<boolean>) | null = null;
/** The hash of the page on screen (what "stay" goes back to). */
let shownHash = location.hash;
/**
 * Each history entry the app shows is stamped with an increasing number, so a hash change can be
 * told apart: a new entry (a link: unstamped or later) or an older one (Back).
 */
let shownSeq = 0;
let seqCounter = Date.now() * 1000;

function stampEntry(): void {
  const seq = (history.state as { seq?: unknown } | null)?.seq;
  if (typeof seq === 'number') shownSeq = seq;
  else {
    shownSeq = ++seqCounter;
    history.replaceState({ ...(history.state as object | null), seq: shownSeq }, '');
  }
}

function leavePage(): void {
  const fs = cleanups;
  cleanups = [];
  leaveGuard = null;
  for (const f of fs) {
    try {
      f();
    } catch {
      // a page's cleanup failing must not keep the next page from showing
    }
  }
}

/** A leave question is open: hash changes meanwhile (a queued one, a second Back) are answered by it. */
let asking = false;

async function onHashChange(): Promise<void> {
  if (location.hash === shownHash) return;
  if (leaveGuard !== null) {
    if (asking) return;
    const seq = (history.state as { seq?: unknown } | null)?.seq;
    const guard = leaveGuard;
    asking = true;
    let leave: boolean;
    try {
      leave = await guard();
    } finally {
      asking = false;
    }
    if (!leave) {
      // Stay: step back over the entry a link added, or forward again after Back. The hash
      // change that follows lands on the page already shown and is ignored.
      if (typeof seq === 'number' && seq < shownSeq) history.forward();
      else history.back();
      return;
    }
  }
  await route();
}

// ---------------------------------------------------------------- routing

/** A refusal under the page's own words, not the evaluator's ("requires project role owner (member.view)"). */
function refusal(err: ApiFailure): string {
  const raw = plainText(err.error.message).replace(/^You cannot do this: /u, '');
  const role = /requires (?:project|dashboard) role (\w+)/u.exec(raw)?.[1];
  if (role !== undefined) return `You need the ${roleLabel(role)} role on this project to see this page. Ask one of its owners if you need it.`;
  return 'You do not have permission to see this page.';
}

let rendering = 0;
async function route(): Promise<void> {
  const ticket = ++rendering;
  leavePage();
  shownHash = location.hash;
  stampEntry();
  const { path, query } = currentLocation();
  if (me === null) me = await loadMe();
  drawTop();
  // Signed in with an expired password: nothing but changing it, wherever the user goes.
  if (me !== null && me.passwordChangeRequired === true) {
    setTitle('Change your password');
    renderExpiredPassword(main, async () => {
      me = await loadMe();
      drawTop();
      const to = path === '/login' ? (query.get('next') ?? '/') : path;
      if (currentLocation().path === to) await route();
      else navigate(to);
    });
    return;
  }
  // An admin who must use 2FA is walked to its set-up before anything else (read again each time:
  // finishing the enrolment lifts it).
  if (me?.mfaEnrolmentRequired === true) {
    me = await loadMe();
    drawTop();
    if (me?.mfaEnrolmentRequired === true && path !== '/account') return navigate('/account');
  }
  if (me === null || path === '/login') {
    if (me !== null) return navigate('/');
    setTitle('Sign in');
    await renderSignIn(main, async () => {
      me = await loadMe();
      drawTop();
      navigate(query.get('next') ?? '/');
      if (currentLocation().path === '/') await route();
    });
    return;
  }
  let found: { route: Route; params: Record<string, string> } | null = null;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (params !== null) {
      found = { route: r, params };
      break;
    }
  }
  main.replaceChildren();
  if (found === null) {
    setTitle('Not found');
    mount(main, h('h1', {}, 'Not found'), h('p', {}, 'There is nothing at this address. '), h('a', { href: '#/' }, 'Back to projects'));
    return;
  }
  const ctx: PageContext = {
    me,
    params: found.params,
    query,
    main,
    navigate,
    setTitle,
    onLeave: (f) => {
      if (ticket === rendering) cleanups.push(f);
      else f();
    },
    setLeaveGuard: (guard) => {
      if (ticket === rendering) leaveGuard = guard;
    },
  };
  try {
    await found.route.render(ctx);
  } catch (err) {
    if (ticket !== rendering) return;
    const notFound = err instanceof ApiFailure && err.status === 404;
    const forbidden = err instanceof ApiFailure && err.status === 403;
    setTitle(notFound ? 'Not found' : forbidden ? 'Not allowed' : 'Something went wrong');
    mount(
      main,
      h('h1', {}, notFound ? 'Not found' : forbidden ? 'Not allowed' : 'Something went wrong'),
      h(
        'p',
        { role: 'alert', class: 'notice notice-error' },
        notFound ? 'It does not exist, or you do not have access to it.' : forbidden ? refusal(err) : err instanceof Error ? err.message : 'Unexpected error.',
      ),
      h('p', {}, h('a', { href: '#/' }, 'Back to projects')),
    );
  }
  // Focus moves to the page for screen readers; the CSS draws no ring for this programmatic focus.
  if (ticket === rendering) main.focus({ preventScroll: true });
}

setSessionEndedHandler(() => {
  // Signed out in another tab: this one follows.
  if (me === null) return;
  me = null;
  leavePage();
  drawTop();
  navigate('/login');
});
setSignedOutHandler(() => {
  if (me === null) return;
  me = null;
  leavePage();
  drawTop();
  const { path } = currentLocation();
  if (path !== '/login') navigate(`/login?next=${encodeURIComponent(path)}`);
});
window.addEventListener('hashchange', () => void onHashChange());
void route();
