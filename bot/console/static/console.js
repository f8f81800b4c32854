// shopchat agent console: live queue and conversation over Server-Sent Events, canned responses.
(() => {
  "use strict";
  const desk = document.querySelector("main.desk");
  const presence = document.getElementById("presence");

  document.addEventListener("submit", (e) => {
    const msg = e.target.dataset && e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  const flash = document.getElementById("flash");
  if (flash) setTimeout(() => flash.remove(), 8000);

  if (!desk) return;
  const view = desk.dataset.view || "inbox";
  const ticket = desk.dataset.ticket || "";

  async function fetchHtml(url) {
    const response = await fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}});
    if (response.status === 401) { window.location.reload(); return null; }
    if (!response.ok) return null;
    return response.text();
  }

  function scrollTranscript() {
    const t = document.getElementById("transcript");
    if (t) t.scrollTop = t.scrollHeight;
  }

  async function refreshQueue() {
    const html = await fetchHtml(`/agent/partials/queue?view=${encodeURIComponent(view)}` + (ticket ? `&current=${ticket}` : ""));
    if (html !== null) document.getElementById("queue").innerHTML = html;
  }

  async function refreshTicket() {
    const live = document.getElementById("ticket-live");
    if (!live || !ticket) return;
    const before = live.querySelector(".conv-head");
    const html = await fetchHtml(`/agent/partials/tickets/${ticket}?view=${encodeURIComponent(view)}`);
    if (html === null) return;
    const t = document.getElementById("transcript");
    const atBottom = !t || t.scrollHeight - t.scrollTop - t.clientHeight < 40;
    live.innerHTML = html;
    const after = live.querySelector(".conv-head");
    // The reply box shows only for open tickets: reload when a ticket opens or closes.
    const wasOpen = before && ["waiting", "assigned"].includes(before.dataset.state);
    const isOpen = after && ["waiting", "assigned"].includes(after.dataset.state);
    if (wasOpen !== isOpen) { window.location.reload(); return; }
    if (atBottom) scrollTranscript();
  }

  let queued = null;
  function soon(fn) {
    clearTimeout(queued);
    queued = setTimeout(fn, 150);
  }

  function connect() {
    const source = new EventSource("/agent/events");
    source.addEventListener("open", () => presence && presence.classList.add("on"));
    source.addEventListener("desk", (e) => {
      let data = {};
      try { data = JSON.parse(e.data); } catch (_) { /* keep going */ }
      soon(async () => {
        await refreshQueue();
        if (!data.ticket || String(data.ticket) === ticket) await refreshTicket();
      });
    });
    source.addEventListener("error", () => {
      if (presence) presence.classList.remove("on");
      // A closed stream (session expired, server restarted) is not retried by the browser:
      // a refresh finds out which (an expired session reloads into the login page).
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(() => { refreshQueue(); connect(); }, 5000);
      }
    });
  }
  connect();
  setInterval(refreshQueue, 30000);  // wait times keep growing between events
  scrollTranscript();

  const canned = document.getElementById("canned");
  const text = document.getElementById("reply-text");
  const cannedError = document.getElementById("canned-error");
  if (canned && text) {
    canned.addEventListener("change", async () => {
      if (!canned.value) return;
      const response = await fetch(`/agent/tickets/${ticket}/canned/${canned.value}`, {credentials: "same-origin"});
      const body = await response.text();
      if (response.ok) {
        const start = text.selectionStart, end = text.selectionEnd;
        text.value = text.value ? text.value.slice(0, start) + body + text.value.slice(end) : body;
        cannedError.textContent = response.headers.get("X-Template-Error") || "";
        text.focus();
      }
      canned.value = "";
    });
  }
  if (text) {
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        document.getElementById("send").click();
      }
    });
  }
})();
