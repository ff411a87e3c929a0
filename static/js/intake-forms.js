// Chained selects: a <select data-chain="id_of_parent"> shows only the options whose
// data-parent matches the parent's value (district → street, topic → category). Choosing
// a child while the parent is empty fills the parent in.
"use strict";
(() => {
  for (const child of document.querySelectorAll("select[data-chain]")) {
    const parent = document.getElementById(child.dataset.chain);
    if (!parent) continue;
    const options = Array.from(child.options);
    const sync = () => {
      const selected = child.value;
      const visible = options.filter((option) => !option.value || !parent.value || option.dataset.parent === parent.value);
      child.replaceChildren(...visible);
      child.value = visible.some((option) => option.value === selected) ? selected : "";
    };
    parent.addEventListener("change", () => {
      const before = child.value;
      sync();
      if (child.value !== before) child.dispatchEvent(new Event("change", { bubbles: true }));
    });
    child.addEventListener("change", () => {
      const option = child.selectedOptions[0];
      if (option && option.dataset.parent && parent.value !== option.dataset.parent) {
        parent.value = option.dataset.parent;
        // Announced, so that what shows the parent (the desk's district picker) follows; its
        // listener above narrows the child.
        parent.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    sync();
  }
})();
