// Adds a "Copier" button after every <pre data-copy>: copies its text to the clipboard.
// Without this script (or without clipboard access) the text stays selectable by hand.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("pre[data-copy]").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn secondary copy-button";
    button.textContent = pre.getAttribute("data-copy");
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent).then(
        function () { status.textContent = "Copié."; },
        function () { status.textContent = "Copie impossible : sélectionnez le texte à la main."; }
      );
    });
    pre.insertAdjacentElement("afterend", status);
    pre.insertAdjacentElement("afterend", button);
  });
})();
