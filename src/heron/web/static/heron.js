// Small comforts on top of pages that work without script: menus (<details class="menu">)
// close when another opens, on a click elsewhere and on Escape; the issue list gets a
// "select all" box.
"use strict";

function closeMenus(except) {
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (menu !== except) menu.removeAttribute("open");
  }
}

document.addEventListener("click", (event) => {
  const menu = event.target instanceof Element ? event.target.closest("details.menu") : null;
  closeMenus(menu);
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeMenus(null);
});

for (const box of document.querySelectorAll("input.select-all")) {
  const form = box.getAttribute("data-form");
  const rows = () => document.querySelectorAll(`input[type=checkbox][form="${form}"][name="issue"]`);
  box.hidden = false;
  box.addEventListener("change", () => {
    for (const row of rows()) row.checked = box.checked;
  });
}
