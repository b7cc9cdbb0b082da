"""A fix, placed in every page's ``<head>``, for results that Gradio 6.31's browser client can lose.

The client reads every event's result from one server-sent-event stream per page (``/queue/data``). The server
ends that stream with a ``close_stream`` message as soon as the page has no event pending, and the client opens a
new stream only when it submits an event while it believes none is open. An event submitted in the moment between
the server's close and the client reading it is never shown: its result waits on the server for a stream that no
one opens. A visitor sees a tab that stays empty, or a button that does nothing, when they click just as an earlier
event finishes (a first tab opened while the page's first example is still arriving, on a busy machine).

:data:`HEAD` wraps ``fetch`` for that stream only: it keeps ``close_stream`` from the client and reconnects, so the
page keeps one stream open (the server's heartbeats keep it alive) and every result arrives. Any other end of the
stream (the server stopped, the page aborted it, the session is gone) reaches the client as before.
"""

from __future__ import annotations

HEAD = """<script>
(() => {
  const originalFetch = window.fetch.bind(window);
  const encoder = new TextEncoder();
  const isClose = (block) => block.split("\\n").some((line) => {
    if (!line.startsWith("data:")) return false;
    try { return JSON.parse(line.slice(5)).msg === "close_stream"; } catch { return false; }
  });
  const isEventStream = (resource, init) => {
    const method = init?.method ?? (resource instanceof Request ? resource.method : "GET");
    const url = resource instanceof Request ? resource.url : String(resource);
    return method.toUpperCase() === "GET" && new URL(url, location.href).pathname.endsWith("/queue/data");
  };
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
                if (isClose(block)) closed = true; else controller.enqueue(encoder.encode(block));
              }
            }
            if (!closed) {
              if (text) controller.enqueue(encoder.encode(text));
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
    if (!isEventStream(resource, init)) return originalFetch(resource, init);
    const request = new Request(resource, init);
    const first = await originalFetch(request.clone());
    if (!first.ok || !first.body) return first;
    return new Response(kept(request, first), { status: first.status, statusText: first.statusText,
                                                 headers: first.headers });
  };
  window.__keptEventStream = true;
})();
</script>"""
