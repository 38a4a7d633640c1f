// The embedded petition, inside a member's frame: tells the page around it how tall it is, so that
// the frame needs no scroll bar. The message is one number and nothing else: never anything typed
// in the form. It goes to any origin (the frame cannot know which member's page holds it); the
// host script (embed-host.js, from this site) acts only on messages from this site's frames.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "icnk-embed-height", height: height }, "*");
  }
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  if ("ResizeObserver" in window) new ResizeObserver(send).observe(document.documentElement);
  send();
})();
