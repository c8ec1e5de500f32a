// Starts Redoc with the page's CSP nonce, so that the styles it injects (styled-components) are
// allowed by the Content-Security-Policy without 'unsafe-inline'. The nonce is read from the page's
// own <style nonce> element (the property, which the browser exposes only to scripts).
(function () {
  "use strict";
  var contenitore = document.getElementById("redoc-contenitore");
  var stile = document.querySelector("style[nonce]");
  var nonce = stile ? stile.nonce || stile.getAttribute("nonce") : undefined;
  window.Redoc.init(contenitore.getAttribute("data-schema"), { nonce: nonce, disableSearch: true }, contenitore);
})();
