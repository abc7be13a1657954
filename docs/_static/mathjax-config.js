// MathJax's configuration, read when MathJax loads (docs/conf.py loads this first).
// MathJax itself is bundled in _static/mathjax/ (npm's mathjax package, copied by
// docs/conf.py), and so is its font: nothing comes from the network.
window.MathJax = {
  loader: { paths: { fonts: "[mathjax]/fonts" } },
  // A display formula wider than the text column scrolls sideways inside it
  // (docs/_static/custom.css), instead of running under the page's table of contents.
  output: { displayOverflow: "overflow" },
  // Opened as files, browsers refuse the web worker that MathJax's speech and braille
  // run in: without them there, rather than errors; served over HTTP, they stay on.
  options:
    window.location.protocol === "file:"
      ? { menuOptions: { settings: { speech: false, braille: false } } }
      : {},
};
