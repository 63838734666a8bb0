// Citation blocks: switch between styles, copy one as plain text. No network, no globals.
(function () {
  function setup(block) {
    var tabs = block.querySelectorAll(".archiver-cite-tab");
    var styles = block.querySelectorAll(".archiver-cite-style");
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () {
        tabs.forEach(function (t) { t.setAttribute("aria-selected", t === tab ? "true" : "false"); });
        styles.forEach(function (s) { s.hidden = s.dataset.style !== tab.dataset.style; });
      });
    });
    styles.forEach(function (style) {
      var button = style.querySelector(".archiver-cite-copy");
      var plain = style.querySelector(".archiver-cite-plain");
      var said = style.querySelector(".archiver-cite-copied");
      button.addEventListener("click", function () {
        function done(ok) { said.textContent = ok ? "Copied." : "Select the text above and copy it."; }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(plain.value).then(function () { done(true); }, function () {
            plain.select(); done(document.execCommand("copy"));
          });
        } else {
          plain.select();
          done(document.execCommand("copy"));
        }
      });
    });
  }
  document.querySelectorAll(".archiver-cite").forEach(setup);
})();
