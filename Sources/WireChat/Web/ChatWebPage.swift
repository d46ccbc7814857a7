/// The chat page a browser gets at `/`: HTML, CSS and JavaScript in one string, with no external
/// assets, so that it works offline and needs no build step.
enum ChatWebPage {
    static let html = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Wire chat</title>
        <style>
          :root { color-scheme: light dark; --accent: #2f6fdf; }
          * { box-sizing: border-box; }
          [hidden] { display: none !important; }
          body { margin: 0; font: 16px/1.4 system-ui, sans-serif; display: flex; flex-direction: column; height: 100vh; }
          header { padding: .6rem 1rem; background: var(--accent); color: white; display: flex; justify-content: space-between; align-items: center; }
          header h1 { font-size: 1.1rem; margin: 0; }
          #status { font-size: .85rem; opacity: .9; }
          main { flex: 1; display: flex; min-height: 0; }
          #messages { flex: 1; overflow-y: auto; padding: .5rem 1rem; margin: 0; list-style: none; }
          #messages li { padding: .15rem 0; word-wrap: break-word; }
          #messages .user { font-weight: 600; margin-right: .4rem; }
          #messages .server { color: gray; font-style: italic; }
          #online { width: 12rem; border-left: 1px solid #8884; padding: .5rem 1rem; overflow-y: auto; }
          #online h2 { font-size: .9rem; margin: 0 0 .4rem; }
          #online ul { list-style: none; margin: 0; padding: 0; }
          form { display: flex; gap: .5rem; padding: .6rem 1rem; border-top: 1px solid #8884; }
          input { flex: 1; font: inherit; padding: .5rem; border-radius: .4rem; border: 1px solid #8888; }
          button { font: inherit; padding: .5rem 1rem; border-radius: .4rem; border: 0; background: var(--accent); color: white; }
          @media (max-width: 600px) { #online { display: none; } }
        </style>
        </head>
        <body>
        <header><h1>Wire chat</h1><span id="status">not connected</span></header>
        <main>
          <ul id="messages" aria-live="polite"></ul>
          <aside id="online"><h2>Online</h2><ul id="people"></ul></aside>
        </main>
        <form id="join"><input id="name" placeholder="Your name" maxlength="32" autocomplete="username" required><button>Join</button></form>
        <form id="say" hidden><input id="text" placeholder="Message" autocomplete="off"><button>Send</button></form>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        let socket = null, username = null, retry = 0, leaving = false;
        // Wire's hello (docs/PROTOCOLS.md 4.1): records come with their place in the room, and a
        // page that comes back after a lost connection gets what it missed, from `position` on.
        const session = Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => b.toString(16).padStart(2, "0")).join("");
        // Seconds between heartbeats (?heartbeat=N in the address): three missed, and the page
        // takes the connection as dead and connects again.
        const heartbeat = Math.min(Math.max(Math.round(Number(new URLSearchParams(location.search).get("heartbeat"))) || 10, 1), 3600);
        let position = null, lastHeard = 0, lastSent = 0, watch = null;

        function show(user, text) {
          const item = document.createElement("li");
          const who = document.createElement("span");
          who.className = "user";
          who.textContent = user;
          item.append(who, document.createTextNode(text));
          if (user === "[server]") item.className = "server";
          const list = $("messages");
          const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
          list.append(item);
          if (atBottom) list.scrollTop = list.scrollHeight;
        }

        function setStatus(text) { $("status").textContent = text; }

        function people(names) {
          const list = $("people");
          list.replaceChildren(...names.map((name) => { const li = document.createElement("li"); li.textContent = name; return li; }));
        }

        function connect() {
          const scheme = location.protocol === "https:" ? "wss:" : "ws:";
          socket = new WebSocket(scheme + "//" + location.host + "/chat");
          setStatus("connecting…");
          socket.onopen = () => {
            retry = 0;
            lastHeard = lastSent = Date.now();
            socket.send("\u0001wire-chat/1 session=" + session + (position ? " resume=" + position : "") + " heartbeat=" + heartbeat);
            socket.send(username);
            socket.send("/who");
            setStatus("connected as " + username);
            $("join").hidden = true;
            $("say").hidden = false;
            $("text").focus();
          };
          const current = socket;
          clearInterval(watch);
          watch = setInterval(() => {
            if (socket !== current || current.readyState !== WebSocket.OPEN) return;
            // Three heartbeats missed: the connection is gone though nobody said so.
            if (Date.now() - lastHeard > 3 * heartbeat * 1000) { current.close(); current.onclose(); return; }
            if (Date.now() - lastSent >= heartbeat * 1000) { current.send(""); lastSent = Date.now(); }
          }, 1000);
          socket.onmessage = (event) => {
            if (socket !== current) return;
            lastHeard = Date.now();
            let record;
            try { record = JSON.parse(event.data); } catch { return; }
            if (record.position) position = record.position;
            if (record.user === "") return;  // a heartbeat, or where the room stood when this page joined
            if (record.user === "[server]") {
              if (record.text.startsWith("online: ")) { people(record.text.slice(8).split(", ")); return; }
              if (record.text.endsWith(" joined") || record.text.endsWith(" left")) socket.send("/who");
              if (record.text.startsWith("refused: ")) leaving = true;
            }
            show(record.user, record.text);
          };
          socket.onclose = () => {
            if (socket !== current) return;
            socket = null;
            clearInterval(watch);
            $("say").hidden = true;
            if (leaving) { setStatus("not connected"); $("join").hidden = false; leaving = false; position = null; return; }
            retry = Math.min(retry + 1, 5);
            const seconds = retry * 2;
            show("[server]", "connection lost; reconnecting in " + seconds + " s");
            setStatus("disconnected");
            setTimeout(connect, seconds * 1000);
          };
        }

        $("join").onsubmit = (event) => {
          event.preventDefault();
          username = $("name").value.trim();
          if (username) connect();
        };
        $("say").onsubmit = (event) => {
          event.preventDefault();
          const text = $("text").value;
          if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
          socket.send(text);
          lastSent = Date.now();
          if (text !== "/who" && text !== "/quit") show(username, text);
          if (text === "/quit") leaving = true;
          $("text").value = "";
        };
        </script>
        </body>
        </html>
        """#
}
