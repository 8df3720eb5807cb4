const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text as HTML: every character that could open a tag, an entity or end an attribute is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

/** A link target from task data: only http(s) URLs, anything else (javascript:, data:) becomes "#". */
export function safeHref(url: string): string {
  return /^https?:\/\//i.test(url) ? escapeHtml(url) : "#";
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff} header form{margin-left:auto} main{max-width:980px;margin:1.2rem auto;padding:0 1rem}
pre{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
ol.events{list-style:none;padding:0}ol.events>li{margin:.4rem 0;padding:.4rem .6rem;background:#fff;border:1px solid #d0d7de;border-radius:6px}
.turn{font-weight:600;background:#ddf4ff!important}.failed{color:#cf222e}.ok{color:#1a7f37}.muted{color:#59636e}
code{font-family:ui-monospace,monospace}`;

/** The frame of every page: a header with the viewer and sign-out, then the body. */
export function renderLayout(input: { title: string; body: string; viewer?: string; script?: string }): string {
  const signOut = input.viewer
    ? `<span>@${escapeHtml(input.viewer)}</span><form method="post" action="/auth/sign-out"><button>Sign out</button></form>`
    : "";
  const script = input.script ? `<script src="${escapeHtml(input.script)}" defer></script>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(input.title)} · Taskbox</title><style>${STYLE}</style>${script}</head>
<body><header><strong>Taskbox</strong>${signOut}</header><main>${input.body}</main></body></html>`;
}

/** A page that says one thing, such as "not found"; the same page for a task that does not exist and one hidden. */
export function renderMessagePage(title: string, message: string, viewer?: string): string {
  return renderLayout({ title, viewer, body: `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` });
}
