/* nhandan sample site: lazy images (data-src / data-srcset -> src / srcset) */
(function () {
  function load() {
    var imgs = document.querySelectorAll("img[data-src]");
    for (var i = 0; i < imgs.length; i++) {
      var img = imgs[i];
      if (img.getAttribute("data-srcset")) {
        img.setAttribute("srcset", img.getAttribute("data-srcset"));
      }
      img.setAttribute("src", img.getAttribute("data-src"));
      img.classList.remove("lazyload");
      img.classList.add("lazyloaded");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load);
  } else {
    load();
  }
})();
