// The share block: a copy button beside the address (which stays selectable without JavaScript) and,
// where the browser offers it, its own share sheet (the Web Share API). Nothing else is loaded.
(function () {
  "use strict";
  function copied(button) {
    var status = button.closest(".petition-share-copy").querySelector("[data-copy-status]");
    if (status) status.textContent = button.getAttribute("data-copied");
  }
  function copyBySelection(input, button) {
    input.focus();
    input.select();
    try {
      if (document.execCommand("copy")) copied(button);
    } catch (error) {
      // The address stays selected: the visitor copies it themselves.
    }
  }
  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-from"));
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(
          function () { copied(button); },
          function () { copyBySelection(input, button); }
        );
      } else {
        copyBySelection(input, button);
      }
    });
  });
  if (!navigator.share) return;
  document.querySelectorAll("[data-share-url]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({
        title: button.getAttribute("data-share-title"),
        url: button.getAttribute("data-share-url"),
      }).catch(function () {
        // Closed without sharing: nothing to do.
      });
    });
  });
})();
