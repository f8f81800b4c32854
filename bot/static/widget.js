/* The shop's chat as a floating button on any page of its site:
   <script src="https://BOT/chat/widget.js" async></script> */
(() => {
  const config = {{CONFIG}};
  const script = document.currentScript;
  const base = new URL(script ? script.src : location.href).origin;
  const lang = (document.documentElement.lang || navigator.language || "").split("-")[0];
  const words = config.ui[lang] || config.ui[config.locale] || {};
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "💬 " + (words.open || "Chat");
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;inset-inline-end:20px;bottom:20px;z-index:2147483000;border:0;border-radius:999px;" +
    "padding:12px 18px;font:600 16px system-ui,sans-serif;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);background:" + config.colour;
  let frame = null;
  button.onclick = () => {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = base + "/chat?embed=1" + (config.locales.some(l => l.code === lang) ? "&locale=" + lang : "");
      frame.title = config.shop;
      frame.style.cssText = "position:fixed;inset-inline-end:20px;bottom:80px;z-index:2147483000;border:0;border-radius:16px;" +
        "width:min(400px,calc(100vw - 40px));height:min(640px,calc(100vh - 110px));box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    const open = !frame.hidden;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "✕ " + (words.close || "Close") : "💬 " + (words.open || "Chat");
  };
  document.body.appendChild(button);
})();
