/* evalmeet phone: open the live WebSocket while the page's scripts are still downloading.

   On factory Wi-Fi (400 ms round trips) the WebSocket's handshake would otherwise start only
   after socket.io.min.js, live.js and phone.js have all arrived. This tiny script runs first (it
   is the first thing in the page's head, before any stylesheet), opens the socket at the address
   the Socket.IO client will ask for, and keeps what arrives. It then stands in for
   window.WebSocket: when the client (which takes window.WebSocket as it loads) asks for that
   address, it gets the socket already open, its early messages replayed in order; any other
   address, or a socket that failed meanwhile, gets a new WebSocket as usual. Nothing changes
   for the server: it is the same Engine.IO handshake, only sooner.

   phone.js reads window.EvalmeetEarly.lb: the nginx stickiness key the address carries. */
(function () {
  "use strict";
  var Native = window.WebSocket;
  if (typeof Native !== "function" || !window.crypto || !window.URL) { return; }
  var n = new Uint32Array(2);
  window.crypto.getRandomValues(n);
  var lb = n[0].toString(36) + n[1].toString(36);
  var path = "/socket.io/";
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path +
    "?lb=" + lb + "&EIO=4&transport=websocket";
  var early = null;
  var queue = [];   // what arrived before the client took the socket
  var sink = null;  // once it has: where events go
  try {
    early = new Native(url);
  } catch (e) {
    early = null;
  }
  if (early) {
    ["open", "message", "close", "error"].forEach(function (type) {
      early.addEventListener(type, function (event) {
        if (sink) { sink(event); } else { queue.push(event); }
      });
    });
    // Not taken within 15 s (the client did not load): let the server's session go.
    setTimeout(function () { if (early) { early.close(); early = null; } }, 15000);
  }

  function wanted(address) {
    try {
      var u = new URL(address, location.href);
      return u.host === location.host && u.pathname === path &&
        u.searchParams.get("lb") === lb && u.searchParams.get("transport") === "websocket";
    } catch (e) {
      return false;
    }
  }

  /* The open socket behind the interface the Socket.IO client uses: on* handlers, send, close,
     binaryType, readyState; what came before the handlers were set is replayed once they are. */
  function adopt(ws) {
    var facade = {
      onopen: null, onmessage: null, onclose: null, onerror: null,
      send: function (data) { ws.send(data); },
      close: function (code, reason) { ws.close(code, reason); },
      addEventListener: function (t, f) { ws.addEventListener(t, f); },
      removeEventListener: function (t, f) { ws.removeEventListener(t, f); }
    };
    Object.defineProperty(facade, "readyState", { get: function () { return ws.readyState; } });
    Object.defineProperty(facade, "binaryType", {
      get: function () { return ws.binaryType; },
      set: function (v) { ws.binaryType = v; }
    });
    Object.defineProperty(facade, "url", { get: function () { return ws.url; } });
    var replaying = true;
    function deliver(event) {
      var handler = facade["on" + event.type];
      if (typeof handler === "function") { handler.call(facade, event); }
    }
    sink = function (event) { if (replaying) { queue.push(event); } else { deliver(event); } };
    setTimeout(function () {  // the client sets its handlers right after constructing
      while (queue.length) { deliver(queue.shift()); }
      replaying = false;
    }, 0);
    return facade;
  }

  function EarlyWebSocket(address, protocols) {
    if (early && early.readyState <= 1 && wanted(address)) {
      var ws = early;
      early = null;
      return adopt(ws);
    }
    return protocols === undefined ? new Native(address) : new Native(address, protocols);
  }
  EarlyWebSocket.prototype = Native.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { EarlyWebSocket[k] = Native[k]; });
  window.WebSocket = EarlyWebSocket;
  window.EvalmeetEarly = { lb: lb };
}());
