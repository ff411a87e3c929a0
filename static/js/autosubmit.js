// A <select data-autosubmit> submits its form when changed: a handler here, not inline, so that
// the Content-Security-Policy can forbid inline scripts.
document.addEventListener("change", (event) => {
  const field = event.target instanceof Element ? event.target.closest("[data-autosubmit]") : null;
  if (field && field.form) field.form.submit();
});
