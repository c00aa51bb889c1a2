/**
 * The Plotbox web UI: a shell (top bar with navigation and the signed-in user), hash routing and
 * the sign-in flow; each page lives in `pages/`. No inline script or event attribute anywhere.
 */
import { api, ApiFailure, setSignedOutHandler, type Me } from './api.ts';
import { h, mount } from './dom.ts';
import { currentLocation, match, type PageContext, type Route } from './router.ts';
import { renderSignIn } from './pages/sign-in.ts';
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
    h('nav', { 'aria-label': 'Main' }, h('ul', {}, links.map(([href, text]) => h('li', {}, h('a', { href }, text))))),
    h('span', { class: 'who' }, `${me.user.displayName} (${me.user.systemRole})`),
    h('button', { type: 'button', class: 'link', onclick: () => void signOut() }, 'Sign out'),
  );
}

async function signOut(): Promise<void> {
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

let rendering = 0;
async function route(): Promise<void> {
  const ticket = ++rendering;
  const { path, query } = currentLocation();
  if (me === null) me = await loadMe();
  drawTop();
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
  const ctx: PageContext = { me, params: found.params, query, main, navigate, setTitle };
  try {
    await found.route.render(ctx);
  } catch (err) {
    if (ticket !== rendering) return;
    const notFound = err instanceof ApiFailure && err.status === 404;
    mount(main, h('h1', {}, notFound ? 'Not found' : 'Something went wrong'), h('p', { role: 'alert', class: 'notice notice-error' }, notFound ? 'It does not exist, or you do not have access to it.' : err instanceof Error ? err.message : 'Unexpected error.'));
  }
  if (ticket === rendering) main.focus({ preventScroll: true });
}

setSessionEndedHandler(() => {
  // Signed out in another tab: this one follows.
  if (me === null) return;
  me = null;
  drawTop();
  navigate('/login');
});
setSignedOutHandler(() => {
  if (me === null) return;
  me = null;
  drawTop();
  const { path } = currentLocation();
  if (path !== '/login') navigate(`/login?next=${encodeURIComponent(path)}`);
});
window.addEventListener('hashchange', () => void route());
void route();
