// The app shell, offline: the page and its scripts from the network when
// it answers, else from the copy kept at the last visit. Only these files;
// the state routes always go to the network (the client keeps the state).
const CACHE = "board-shell-1";
const SHELL = ["/", "/index.html", "/app.js", "/sync.js", "/order.js", "/persist.js"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)));
  self.skipWaiting();
});
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin || !SHELL.includes(url.pathname)) return;
  e.respondWith(
    fetch(e.request).then(
      (res) => {
        if (res.ok) {
          const copy = res.clone();
          e.waitUntil(caches.open(CACHE).then((c) => c.put(url.pathname, copy)));
        }
        return res;
      },
      () => caches.match(url.pathname).then((hit) => hit ?? Response.error()),
    ),
  );
});
