// The /compare dashboard's sequence diagrams: this page asks the server to record its traffic
// (POST /compare/recording; nothing is recorded for a browser that did not ask), then draws each
// panel's messages as the server saw them. The SVG is the server's drawing, shown as an <img>
// (no script of its own can run there); the Mermaid text is there to copy onto a slide.

const FIGURE_ALT = {
  session: 'Sequence diagram of the server-session messages',
  jwt: 'Sequence diagram of the JWT messages',
  oidc: 'Sequence diagram of the OpenID Connect messages',
};

/** Starts this browser's recording unless one is running (the OIDC round trip reloads the page). */
export async function ensureRecording() {
  const answer = await fetch('/compare/recording', { method: 'POST' }).catch(() => null);
  return answer?.status === 200 || answer?.status === 201;
}

let version = 0;

/** Redraws one panel's diagram and Mermaid text from the recording. */
export async function drawSequence(panelRoot) {
  const mode = panelRoot.dataset.mode;
  const answer = await fetch(`/compare/recording.mmd?mode=${mode}`, { cache: 'no-store' }).catch(() => null);
  if (answer?.status !== 200) return;
  const mermaid = await answer.text();
  const figure = panelRoot.querySelector('[data-field="sequence"]');
  const details = panelRoot.querySelector('[data-role="mermaid"]');
  if (mermaid.split('\n').filter((line) => line.includes('>>')).length === 0) return;
  version += 1;
  const image = document.createElement('img');
  image.src = `/compare/recording.svg?mode=${mode}&v=${version}`;
  image.alt = FIGURE_ALT[mode] ?? 'Sequence diagram';
  image.decoding = 'async';
  figure.replaceChildren(image);
  panelRoot.querySelector('[data-field="mermaid"]').textContent = mermaid;
  details.hidden = false;
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action="copy-mermaid"]');
  if (!button) return;
  const text = button.closest('.compare-panel').querySelector('[data-field="mermaid"]').textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select the text to copy';
  }
});
