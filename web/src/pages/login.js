// Login: exchange an API token for a session cookie, then go back to the
// page that was asked for (only pages under /ui/).
import { login } from '../api.js';
import { html, useState, useEffect } from '../vendor/preact-htm.js';

export function LoginPage({ query, onDone }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => { document.title = 'Sign in · Steward'; }, []);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await login(token.trim());
      onDone(query.get('next'));
    } catch (err) {
      setError(err.status === 401 ? 'That token is not valid.'
        : err.status === 429 ? 'Too many failed sign-ins from this address; wait a few minutes and try again.'
          : err.message);
      setBusy(false);
    }
  };
  return html`<section class="page login">
    <h1><img src="/ui/icon.svg" alt="" width="40" height="40" /> Steward</h1>
    <form onSubmit=${submit}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required
        value=${token} onInput=${(e) => setToken(e.target.value)} />
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit" class="primary wide" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    <p class="muted small">Use an admin or read-only token from <code>[server] tokens</code> in steward.toml.
      The session lasts 30 days unless configured otherwise and ends when the token is removed.</p>
  </section>`;
}
