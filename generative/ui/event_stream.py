"""A fix, placed in every page's ``<head>``, for results that Gradio 6.31's browser client can lose.

The client reads every event's result from one server-sent-event stream per page (``/queue/data``). The server
ends that stream with a ``close_stream`` message as soon as the page has no event pending, and the client opens a
new stream only when it submits an event while it believes none is open. An event submitted in the moment between
the server's close and the client reading it is never shown: its result waits on the server for a stream that no
one opens. A visitor sees a tab that stays empty, or a button that does nothing, when they click just as an earlier
event finishes (a first tab opened while the page's first example is still arriving, on a busy machine).

:data:`HEAD` wraps ``fetch`` for that stream and for the event submissions (``/queue/join``). When the server
closes the stream while an event the page submitted is unfinished, or another is submitted within a second, the
script keeps ``close_stream`` from the client and reconnects, so that result arrives on the stream the client still
reads. Otherwise it passes the close on, and the client opens a new stream with its next event, as before: an idle
page holds no stream, and clicks were no slower with it in paired runs. Any other end of the stream (the server
stopped, the page aborted it, the session is gone) reaches the client unchanged.
"""

from __future__ import annotations

HEAD = """<script>
(() => {
  const originalFetch = window.fetch.bind(window);
  const encoder = new TextEncoder();
  const GRACE_MS = 1000;
  const joined = new Set(), finished = new Set();
  let joinSeen = null;
  const messages = (block) => block.split("\\n").filter((line) => line.startsWith("data:")).map((line) => {
    try { return JSON.parse(line.slice(5)); } catch { return {}; }
  });
  const pathOf = (resource) => new URL(resource instanceof Request ? resource.url : String(resource), location.href).pathname;
  const methodOf = (resource, init) => (init?.method ?? (resource instanceof Request ? resource.method : "GET")).toUpperCase();
  const nextJoin = (ms) => new Promise((resolve) => {
    const timer = setTimeout(() => { joinSeen = null; resolve(false); }, ms);
    joinSeen = () => { clearTimeout(timer); joinSeen = null; resolve(true); };
  });
  function kept(request, first) {
    const decoder = new TextDecoder();
    let reader = first.body.getReader();
    return new ReadableStream({
      async start(controller) {
        try {
          for (;;) {
            let text = "", closed = false;
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              text += decoder.decode(value, { stream: true });
              for (let cut = text.indexOf("\\n\\n"); cut >= 0; cut = text.indexOf("\\n\\n")) {
                const block = text.slice(0, cut + 2);
                text = text.slice(cut + 2);
                const parsed = messages(block);
                parsed.filter((m) => m.msg === "process_completed" && m.event_id).forEach(({ event_id: id }) => {
                  if (!joined.delete(id)) finished.add(id);  // finished before its join answer reached the page
                });
                if (parsed.some((m) => m.msg === "close_stream")) closed = true;
                else controller.enqueue(encoder.encode(block));
              }
            }
            if (!closed || !(joined.size > 0 || await nextJoin(GRACE_MS))) {
              if (closed) controller.enqueue(encoder.encode('data: {"msg":"close_stream","event_id":null}\\n\\n'));
              else if (text) controller.enqueue(encoder.encode(text));
              controller.close();
              return;
            }
            const next = await originalFetch(request.clone());
            if (!next.ok || !next.body) {
              controller.enqueue(encoder.encode('data: {"msg":"close_stream","event_id":null}\\n\\n'));
              controller.close();
              return;
            }
            reader = next.body.getReader();
          }
        } catch (error) {
          controller.error(error);
        }
      },
      cancel(reason) { return reader.cancel(reason); },
    });
  }
  window.fetch = async (resource, init) => {
    const path = pathOf(resource), method = methodOf(resource, init);
    if (method === "POST" && path.endsWith("/queue/join")) {
      const response = await originalFetch(resource, init);
      try {
        const id = (await response.clone().json()).event_id;
        if (id && !finished.delete(id)) joined.add(id);
        if (id) joinSeen?.();
      } catch {}
      return response;
    }
    if (method !== "GET" || !path.endsWith("/queue/data")) return originalFetch(resource, init);
    const request = new Request(resource, init);
    const first = await originalFetch(request.clone());
    if (!first.ok || !first.body) return first;
    return new Response(kept(request, first), { status: first.status, statusText: first.statusText,
                                                 headers: first.headers });
  };
})();
</script>"""
