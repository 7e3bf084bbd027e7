/* The board's live pages, in plain JavaScript: no library and no build step. All it does is listen to one
   EventSource and swap the page's marked regions, which the browser does natively; a library (htmx and the
   like) would be more code to vet and serve than this, and the pages work without any of it.

   A region marked data-live (with an id) is fetched again when the server says the workspace changed
   (GET /board/events; see bot/web/board/live.py): the same address with the X-Board-Live header, the new
   region swapped in place, the focus and the scroll kept, and "updated" said politely to screen readers
   (the element marked data-live-status). A region where someone is typing waits until they leave it. */
(function () {
  "use strict";

  var regions = document.querySelectorAll("[data-live][id]");
  if (!regions.length || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var ids = Array.prototype.map.call(regions, function (region) { return region.id; });
  var status = document.querySelector("[data-live-status]");
  var since = regions[0].getAttribute("data-live-since") || "";
  var busy = false;
  var again = false;
  var source = new EventSource("/board/events" + (since ? "?since=" + encodeURIComponent(since) : ""));

  // Where an element sits inside its region (child indexes), to find its twin in the fetched region.
  function pathOf(element, root) {
    var path = [];
    while (element && element !== root) {
      path.unshift(Array.prototype.indexOf.call(element.parentNode.children, element));
      element = element.parentNode;
    }
    return element === root ? path : null;
  }

  function follow(root, path) {
    var element = root;
    for (var i = 0; element && i < path.length; i++) {
      element = element.children[path[i]];
    }
    return element || null;
  }

  function typingIn(region) {
    var active = document.activeElement;
    if (!active || !region.contains(active)) {
      return false;
    }
    var tag = active.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(button|submit|reset|checkbox|radio|hidden)$/.test(active.type));
  }

  function announce() {
    if (!status) {
      return;
    }
    // Emptied first, so that the same words are announced again on the next update.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = status.getAttribute("data-live-text") || ""; }, 50);
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var x = window.scrollX;
    var y = window.scrollY;
    var changed = false;
    ids.forEach(function (id) {
      var old = document.getElementById(id);
      var replacement = fresh.getElementById(id);
      if (!old || !replacement || old.innerHTML === replacement.innerHTML) {
        return;
      }
      if (typingIn(old)) {
        // Not now: what they type stays; the region is fetched again when they leave it.
        old.addEventListener("focusout", refresh, { once: true });
        return;
      }
      var active = document.activeElement;
      var path = active && old.contains(active) ? pathOf(active, old) : null;
      var adopted = document.importNode(replacement, true);
      old.replaceWith(adopted);
      changed = true;
      if (path) {
        var twin = follow(adopted, path);
        if (twin && typeof twin.focus === "function" && twin.tagName === active.tagName) {
          twin.focus({ preventScroll: true });
        } else {
          // What had the focus is gone (a report settled elsewhere): the region keeps it.
          adopted.setAttribute("tabindex", "-1");
          adopted.focus({ preventScroll: true });
        }
      }
    });
    window.scrollTo(x, y);
    if (changed) {
      announce();
    }
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, { headers: { "X-Board-Live": "1" }, credentials: "same-origin",
                                  cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          // Signed out meanwhile: show the signed-out page.
          source.close();
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          swap(html);
        }
      })
      .catch(function () { /* Offline for a moment: the next event tries again. */ })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  source.addEventListener("change", refresh);
  source.addEventListener("error", function () {
    // The browser gave up on the stream (it was refused: signed out while away): the page says why.
    if (source.readyState === EventSource.CLOSED) {
      refresh();
    }
  });
  source.addEventListener("ended", function () {
    source.close();
    window.location.reload();
  });
  window.addEventListener("pagehide", function () { source.close(); });
}());
