// Hearth's setup page: preselect the browser's time zone. The page works
// without it (the server's zone is preselected then).
(function () {
  var sel = document.getElementById("timezone");
  if (!sel || !window.Intl) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || sel.dataset.touched) { return; }
  for (var i = 0; i < sel.options.length; i++) {
    if (sel.options[i].value === zone) { sel.selectedIndex = i; return; }
  }
  var opt = document.createElement("option");
  opt.value = zone;
  opt.textContent = zone.replace(/_/g, " ");
  sel.insertBefore(opt, sel.firstChild);
  sel.selectedIndex = 0;
})();
