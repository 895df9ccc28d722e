// Keeps the preview progress page up to date without reloading it (a timed page refresh is an
// accessibility failure, WCAG 2.2.1): polls the page's .json twin every 2 seconds, updates the
// status region and the progress bar, and reloads once when the preview has finished (the server
// then redirects to the release page, or shows why the preview failed). Without JavaScript the
// <noscript> meta refresh in the head does the same job.
const status = document.getElementById('preview-status');
const bar = document.getElementById('preview-progress');

if (status && bar && window.fetch) {
  const url = status.getAttribute('data-preview-poll');
  const number = new Intl.NumberFormat('en-GB');
  const poll = async () => {
    try {
      const res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (!res.ok) throw new Error(String(res.status));
      const job = await res.json();
      if (job.state !== 'running') {
        window.location.reload();
        return;
      }
      const { phase, done, total } = job.progress;
      const pct = total ? Math.min(100, Math.round((100 * done) / total)) : 0;
      status.textContent = phase === 'loading'
        ? `Reading the source: ${number.format(done)} of ${number.format(total)} rows.`
        : `Applying the policy to ${number.format(total)} rows.`;
      bar.value = phase === 'loading' ? pct : 100;
      bar.textContent = `${pct}%`;
    } catch {
      // A failed poll is retried; the "Refresh now" link is always there.
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
}
