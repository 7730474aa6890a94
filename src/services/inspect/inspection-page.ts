/**
 * The receiver's HTML page: one self-contained document (no script or style from anywhere else) that follows
 * `/stream` (server-sent events) and lists every actor with its latest snapshot and events.
 */
export const INSPECTION_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Allegro inspector</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem; color: #1d2330; background: #f6f7f9; }
section { background: #fff; border-radius: 6px; padding: .6rem; margin-bottom: .6rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8rem; max-height: 20rem; overflow: auto; }
.state { background: #e4f6ec; padding: .1rem .4rem; border-radius: 3px; }
.muted { color: #566074; font-size: .85rem; }
</style>
</head>
<body>
<h1>Allegro inspector</h1>
<p class="muted" id="status">connecting…</p>
<div id="actors"></div>
<script>
const root = document.getElementById('actors');
const status = document.getElementById('status');
function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  return el;
}
function render(actors) {
  status.textContent = actors.length + ' actors';
  root.replaceChildren(...actors.map((a) => {
    const s = document.createElement('section');
    s.dataset.actor = a.name;
    const value = a.snapshot && a.snapshot.value !== undefined ? JSON.stringify(a.snapshot.value) : '';
    s.append(text('h2', a.name), text('span', value, 'state'),
      text('p', a.sessionId + (a.parentId ? ' (child of ' + a.parentId + ')' : ''), 'muted'),
      text('h3', 'events'), text('pre', a.events.map((e) => e.createdAt + ' ' + e.type).join('\\n')),
      text('h3', 'snapshot'), text('pre', JSON.stringify(a.snapshot, null, 2)));
    return s;
  }));
}
const stream = new EventSource('/stream');
stream.onmessage = (m) => render(JSON.parse(m.data));
stream.onerror = () => { status.textContent = 'receiver gone; retrying…'; };
</script>
</body>
</html>
`;
