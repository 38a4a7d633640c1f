// On a coalition member's page, loaded from the petition site by the snippet: sets each petition
// frame's height to the one it reports. It believes only messages whose origin is the petition
// site (this script's own origin) and that come from a frame on this page; it reads nothing from
// the frames (it could not: they are another origin) and sends them nothing.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.URL) return;
  var origin = new URL(script.src, window.location.href).origin;
  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== "icnk-embed-height") return;
    var height = Number(data.height);
    if (!isFinite(height) || height < 50 || height > 20000) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.ceil(height) + "px";
      }
    }
  });
})();
